from django.contrib import admin

from .admin_logging import ChangeLoggedAdminMixin
from .models import ChangeEvent, Company, ContactPerson, ExportMarket, ExportRevenue, Province, Source
from .services import export_markets_copy_country


class ContactPersonInline(admin.TabularInline):
    model = ContactPerson
    extra = 0


class ExportMarketInline(admin.TabularInline):
    model = ExportMarket
    extra = 0
    autocomplete_fields = ["source"]


class ExportRevenueInline(admin.TabularInline):
    model = ExportRevenue
    extra = 0
    autocomplete_fields = ["source"]


@admin.register(Company)
class CompanyAdmin(ChangeLoggedAdminMixin, admin.ModelAdmin):
    list_display = ["tax_code", "name", "short_name", "province", "ownership", "status", "verification"]
    list_filter = ["verification", "status", "ownership", "size_band", "province"]
    search_fields = ["tax_code", "name", "name_en", "short_name", "search_name"]
    prepopulated_fields = {"slug": ["short_name"]}
    readonly_fields = ["verified_at", "verified_by", "created_at", "updated_at", "version"]
    list_select_related = ["province"]
    autocomplete_fields = ["source"]
    filter_horizontal = ["representatives"]
    inlines = [ContactPersonInline, ExportMarketInline, ExportRevenueInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A market's country may have changed in its inline: the products sold there keep a copy of it.
        export_markets_copy_country(market_ids=form.instance.export_markets.values_list("pk", flat=True))


@admin.register(ChangeEvent)
class ChangeEventAdmin(admin.ModelAdmin):
    """The audit log, read-only."""

    list_display = ["id", "at", "object_type", "object_id", "action", "actor", "api_key", "public_changed"]
    list_filter = ["object_type", "action", "public_changed"]
    search_fields = ["object_id", "actor__username"]
    list_select_related = ["actor", "api_key"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "publisher", "published_on"]
    search_fields = ["key", "title", "publisher", "url"]


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "division_type"]
    search_fields = ["code", "name", "codename"]

    def has_add_permission(self, request):
        return False  # reference data from vietnam-provinces

    def has_delete_permission(self, request, obj=None):
        return False
