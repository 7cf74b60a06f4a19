"""One router under /api/v1/, the OpenAPI schema, and the documentation served from local files."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import auth_views, autocomplete, html_pages, indicators, views

router = DefaultRouter()
router.register("companies", views.CompanyViewSet, basename="company")
router.register("products", views.ProductViewSet, basename="product")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("standards", views.StandardViewSet, basename="standard")
router.register("provinces", views.ProvinceViewSet, basename="province")
router.register("markets", views.MarketViewSet, basename="market")
router.register("export-markets", views.ExportMarketViewSet, basename="export-market")
router.register("export-revenues", views.ExportRevenueViewSet, basename="export-revenue")
router.register("api-keys", auth_views.ApiKeyViewSet, basename="api-key")
router.register("changes", views.ChangeFeedViewSet, basename="change")

urlpatterns = [
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/auth/token/", auth_views.TokenView.as_view(), name="auth-token"),
    path("v1/autocomplete/", autocomplete.AutocompleteView.as_view(), name="autocomplete"),
    path("v1/indicators/", indicators.IndicatorSummaryView.as_view(), name="indicators"),
    path("v1/indicators/revenue/", indicators.RevenueIndicatorView.as_view(), name="indicators-revenue"),
    path("v1/indicators/target/", indicators.TargetIndicatorView.as_view(), name="indicators-target"),
    path("v1/indicators/markets/", indicators.MarketIndicatorView.as_view(), name="indicators-markets"),
    path("v1/indicators/categories/", indicators.CategoryIndicatorView.as_view(), name="indicators-categories"),
    path("v1/indicators/provinces/", indicators.ProvinceIndicatorView.as_view(), name="indicators-provinces"),
    path("v1/", include(router.urls)),
    path("auth/", include(html_pages.auth_urlpatterns)),  # session sign-in for the browsable API
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", html_pages.redoc_view, name="redoc"),
]
