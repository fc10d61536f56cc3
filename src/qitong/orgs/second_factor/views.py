"""The login's steps after the password, and the staff's own enrolment page.

1. ``PasswordStep`` (``/login/``): Django's login form. A user the policy
   asks for a second factor is not logged in yet: the session keeps who
   passed the password (``PENDING``, for ``PENDING_FOR``) and the browser goes
   on to the code, or to the enrolment when the policy requires one.
2. ``code_step`` (``/login/code/``): a TOTP or a recovery code; five wrong
   codes and the password must be given again (which the lockout counts).
3. ``enrol`` (``/account/second-factor/``): the QR code (inline SVG) and the
   secret for manual entry, confirmed by a first code; then the ten recovery
   codes, shown once. Reached logged in, or between the password and the
   session when the policy requires enrolment.
"""

import datetime as dt
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qitong.core import clock
from qitong.orgs.models import User
from qitong.orgs.second_factor import factors

PENDING = "qitong_second_factor"
PENDING_FOR = dt.timedelta(minutes=5)
MAX_FAILURES = 5


class PasswordStep(auth_views.LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        step = factors.step_after_password(user)
        if step is None:
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "since": clock.now().isoformat(),
            "next": self.get_redirect_url(),
            "step": step,
            "failures": 0,
        }
        return redirect("login-code" if step == "code" else "second-factor")


def _pending(request, step):
    pending = request.session.get(PENDING)
    if not pending or pending.get("step") != step:
        return None, None
    if clock.now() - dt.datetime.fromisoformat(pending["since"]) > PENDING_FOR:
        request.session.pop(PENDING, None)
        return None, None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    return (pending, user) if user is not None else (None, None)


def _finish(request, pending, user):
    """Log ``user`` in as the password step would have; where to go next."""
    request.session.pop(PENDING, None)
    login(request, user, backend=pending["backend"])
    target = pending.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "home"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=20,
        help_text=gettext_lazy("身份验证器应用中的 6 位数字，或一个恢复码（如 abcde-fghjk）。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


def code_step(request):
    pending, user = _pending(request, "code")
    if user is None:
        messages.info(request, _("请先输入用户名和密码。"))
        return redirect("login")
    form = CodeForm(request.POST or None)
    if form.is_valid():
        if factors.check(user, form.cleaned_data["code"], request=request):
            return redirect(_finish(request, pending, user))
        pending["failures"] += 1
        if pending["failures"] >= MAX_FAILURES:
            request.session.pop(PENDING, None)
            messages.error(request, _("验证码错误次数过多，请重新输入用户名和密码。"))
            return redirect("login")
        request.session[PENDING] = pending
        form.add_error("code", _("验证码不正确或已使用，请重试。"))
    status = 400 if form.is_bound and not form.is_valid() else 200
    context = {"form": form, "title": _("二次验证")}
    return render(request, "second_factor/code.html", context, status=status)


def _qr_svg(uri):
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308 - drawn by qrcode from our URI


def enrol(request):
    """二次验证: enrol an authenticator app, or (once enrolled) renew the recovery codes."""
    pending = None
    if request.user.is_authenticated:
        user = request.user
    else:
        pending, user = _pending(request, "enrol")
        if user is None:
            return redirect("login")
    if not factors.applies_to(user):
        raise PermissionDenied
    device = factors.confirmed_device(user)
    form = CodeForm(request.POST or None)
    if device is not None:  # enrolled: new recovery codes, after a current code
        if form.is_valid():
            if factors.check(user, form.cleaned_data["code"], request=request):
                codes = factors.new_recovery_codes(user, request=request)
                return _show_codes(request, codes, None)
            form.add_error("code", _("验证码不正确或已使用，请重试。"))
        context = {
            "form": form,
            "title": _("二次验证"),
            "enrolled": True,
            "unused": factors.unused_recovery_codes(user),
        }
        return render(
            request, "second_factor/enrol.html", context, status=400 if form.errors else 200
        )
    device = factors.pending_device(user)
    if form.is_valid():
        codes = factors.confirm(device, form.cleaned_data["code"], request=request)
        if codes is not None:
            target = _finish(request, pending, user) if pending is not None else "home"
            return _show_codes(request, codes, target)
        form.add_error("code", _("验证码不正确，请确认手机时间准确后重试。"))
    secret = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    context = {
        "form": form,
        "title": _("绑定身份验证器"),
        "enrolled": False,
        "required": pending is not None,
        "qr": _qr_svg(device.config_url),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "uri": device.config_url,
    }
    return render(request, "second_factor/enrol.html", context, status=400 if form.errors else 200)


def _show_codes(request, codes, target):
    context = {"title": _("恢复码"), "codes": codes, "target": target or "home"}
    response = render(request, "second_factor/recovery_codes.html", context)
    response["Cache-Control"] = "no-store"
    return response


def admin_login(request, extra_context=None):
    """The admin site's login: the platform's own, with its second factor."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect(f"{reverse('login')}?{urlencode({'next': request.GET.get('next', '/admin/')})}")
