"""`emm1 serve`: a local, read-only web explorer of the catalog and the media files on disk.

app.py builds the app and runs it; database.py is the catalog as it queries it (sandboxed,
time-limited, a bounded number of queries at once); resolve.py says where an asset's file is;
pages.py and console.py are the pages, render.py turns their data into HTML or JSON;
overview.py and charts.py make the overview; media.py serves the files themselves.
"""
