"""The app's own code (not its npm packages): its TS/JSX modules transformed for the browser by
the daemon in development (``transform.py``), and bundled with hashed names and a Vite-shaped
manifest by ``prebundle build`` for production (``build.py``)."""
