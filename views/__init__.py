"""View definitions (one .sql file per view), shipped inside the installed package."""
