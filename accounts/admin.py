from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin

from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "owner", "scope", "last_used_at"]
    list_filter = [*APIKeyModelAdmin.list_filter, "scope"]
    search_fields = [*APIKeyModelAdmin.search_fields, "owner__username"]
