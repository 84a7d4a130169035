"""The dashboard: every optimized package with its version, ids, sizes, build, format and
importers, a treemap of sizes, a graph of imports and the last runs, on one page.

The daemon serves it at ``/@prebundle/`` (``routes.py``) and refreshes it when a run ends;
``prebundle report`` writes the same page as one HTML file that opens from disk (``report.py``).
``data.py`` gathers what it shows, ``page.py`` renders the HTML around ``static/dashboard.js``
and the vendored chart library ``static/echarts.min.js`` (rebuilt by
``scripts/build_dashboard.py`` from ``dashboard/``). This module imports none of them: the daemon's
app imports ``routes``, the ``prebundle report`` command ``report``.
"""
