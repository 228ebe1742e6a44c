"""The portal's URLs plus the ceilings the benchmarks compare the guest page with."""

from django.urls import path

from bench import ceilings
from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    path("_bench/trivial", ceilings.trivial),
    path("_bench/rows", ceilings.rows),
    path("_bench/one-call", ceilings.one_call),
    *portal_urlpatterns,
]
