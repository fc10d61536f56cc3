"""After login, ``/`` sends each user to the workbench of their role."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from qitong.orgs.menus import home_url_name


@login_required
def home(request):
    return redirect(home_url_name(request.user))
