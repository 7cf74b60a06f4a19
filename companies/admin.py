from django.contrib import admin

from .models import Company, ExportMarket, ExportRevenue, Province, Source


class ExportMarketInline(admin.TabularInline):
    model = ExportMarket
    extra = 0
    autocomplete_fields = ["source"]


class ExportRevenueInline(admin.TabularInline):
    model = ExportRevenue
    extra = 0
    autocomplete_fields = ["source"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["tax_code", "name", "short_name", "province", "ownership", "status", "verification"]
    list_filter = ["verification", "status", "ownership", "size_band", "province"]
    search_fields = ["tax_code", "name", "name_en", "short_name", "search_name"]
    prepopulated_fields = {"slug": ["short_name"]}
    readonly_fields = ["verified_at", "verified_by", "created_at", "updated_at"]
    list_select_related = ["province"]
    inlines = [ExportMarketInline, ExportRevenueInline]


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
