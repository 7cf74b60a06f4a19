from django.contrib import admin
from django.urls import include, path

from registry import health
from web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/", include("api.urls")),
]
