// The Node client's side of probe.py: same request on stdin, same answer on stdout.
const { DuckDBInstance } = require("@duckdb/node-api");

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const instance = await DuckDBInstance.create(request.db, { access_mode: "READ_ONLY" });
  const con = await instance.connect();
  const answers = {};
  for (const [name, sql] of Object.entries(request.queries)) {
    try {
      const reader = await con.runAndReadAll(`SELECT COLUMNS(*)::VARCHAR FROM (${sql}) AS q`);
      answers[name] = { rows: reader.getRowsJson() };
    } catch (e) {
      answers[name] = { error: String(e.message) };
    }
  }
  process.stdout.write(JSON.stringify(answers));
}

main().catch((e) => {
  process.stderr.write(String(e.stack || e) + "\n");
  process.exit(1);
});
