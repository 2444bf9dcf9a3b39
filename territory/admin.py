from django.contrib import admin

from core.admin_site import ModelAdmin
from territory.models import ChildPopulation, Contingent, Municipality, Region


@admin.register(Region)
class RegionAdmin(ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "=code")


class PopulationInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ChildPopulation
    fields = ("year", "age", "count")
    extra = 0


@admin.register(Municipality)
class MunicipalityAdmin(ModelAdmin):
    list_display = ("name", "oktmo", "kind", "region")
    list_filter = ("region", "kind")
    search_fields = ("name", "=oktmo")
    list_select_related = ("region",)
    autocomplete_fields = ("region",)
    inlines = (PopulationInline,)


@admin.register(ChildPopulation)
class ChildPopulationAdmin(ModelAdmin):
    list_display = ("municipality", "year", "age", "count")
    list_filter = ("year", "municipality__region")
    search_fields = ("municipality__name", "=municipality__oktmo")
    list_select_related = ("municipality",)
    autocomplete_fields = ("municipality",)


@admin.register(Contingent)
class ContingentAdmin(ModelAdmin):
    list_display = ("municipality", "year", "children_with_ovz", "school_pupils")
    list_filter = ("year", "municipality__region")
    search_fields = ("municipality__name", "=municipality__oktmo")
    list_select_related = ("municipality",)
    autocomplete_fields = ("municipality",)
