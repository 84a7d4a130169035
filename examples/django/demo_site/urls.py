from django.urls import path
from django.views.generic import TemplateView

from . import views

urlpatterns = [
    path("", views.index),
    path("vite/", TemplateView.as_view(template_name="vite.html")),  # a django-vite template, unchanged
]
