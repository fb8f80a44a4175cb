// emm1 serve: the little the pages need beyond HTML. Plain script for a strict
// Content-Security-Policy: no inline code, no eval.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Ctrl+Enter (Cmd+Enter) in the SQL console runs the query.
    var area = document.querySelector("form.sql textarea");
    if (area) {
      area.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          area.form.submit();
        }
      });
    }
  });
})();
