from django.urls import path

from portal.jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("<int:job_id>/", views.job_detail, name="detail"),
    path("<int:job_id>/cancel/", views.job_cancel_view, name="cancel"),
    path("<int:job_id>/results.csv", views.job_results, name="results"),
    path("<int:job_id>/file/", views.job_file, name="file"),
]
