from django.apps import AppConfig


class ChartsConfig(AppConfig):
    """A reusable app shipping ES modules: each file under static/charts/widgets/ is in the
    import map of every frontend as "charts/widgets/<name>"."""

    name = "charts"
    prebundle_pins = ["charts/widgets/**/*.js"]
