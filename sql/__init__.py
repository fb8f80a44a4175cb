"""Query templates (one file per query), shipped inside the installed package."""
