from django.urls import path

from guests import views

app_name = "guests"

urlpatterns = [
    path("search/", views.search, name="search"),
]
