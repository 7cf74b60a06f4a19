from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from companies.admin_logging import ChangeLoggedAdminMixin

from .models import Category, Product, ProductExportMarket, Standard
from .services import company_refresh_product_search, product_markets_copy_again, products_refresh_search


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    form = movenodeform_factory(Category, exclude=["search_name"])
    list_display = ["name_en", "name", "slug"]
    search_fields = ["slug", "name", "name_en"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        products_refresh_search(obj.products.select_related("company", "category"))
        company_refresh_product_search(company_ids=obj.products.values_list("company_id", flat=True))


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "body"]
    search_fields = ["code", "name", "body"]


class ProductExportMarketInline(admin.TabularInline):
    model = ProductExportMarket
    fields = ["exportmarket"]
    raw_id_fields = ["exportmarket"]
    extra = 0
    verbose_name = "export market"


@admin.register(Product)
class ProductAdmin(ChangeLoggedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "company", "category", "maturity", "miv_certified_on"]
    list_filter = ["maturity", "category", "standards"]
    search_fields = ["name", "slug", "company__name", "company__tax_code", "search_name"]
    autocomplete_fields = ["company", "source", "miv_certification_source"]
    filter_horizontal = ["standards"]
    inlines = [ProductExportMarketInline]
    list_select_related = ["company", "category"]

    # Keep company search in step with product edits, as the product services do.
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        company_ids = {form.instance.company_id}
        if form.initial.get("company"):
            company_ids.add(form.initial["company"])  # the product moved from another company
        company_refresh_product_search(company_ids=company_ids)
        product_markets_copy_again(product_ids=[form.instance.pk])  # its name or category may have changed

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        company_refresh_product_search(company_ids=[obj.company_id])
