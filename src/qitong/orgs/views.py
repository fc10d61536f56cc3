"""After login, ``/`` sends each user to the workbench of their role."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def home(request):
    return redirect(request.user.home_url_name)
