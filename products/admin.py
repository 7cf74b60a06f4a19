from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import Category, Product, Standard


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    form = movenodeform_factory(Category, exclude=["search_name"])
    list_display = ["name_en", "name", "slug"]
    search_fields = ["slug", "name", "name_en"]


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "body"]
    search_fields = ["code", "name", "body"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "category", "maturity", "miv_certified_on"]
    list_filter = ["maturity", "category", "standards"]
    search_fields = ["name", "slug", "company__name", "company__tax_code", "search_name"]
    autocomplete_fields = ["company", "source", "miv_certification_source"]
    filter_horizontal = ["standards", "export_markets"]
    list_select_related = ["company", "category"]
