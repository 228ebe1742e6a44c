from django.urls import path

from portal.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.record_list, name="list"),
    path("search/", views.record_search, name="search"),
    path("export/", views.export_create, name="export"),
    path("<int:record_id>/", views.record_detail, name="detail"),
]
