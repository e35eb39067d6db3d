"""The sign-up site as a WSGI application (Flask): :func:`create_app` builds it; ``drawwatch serve`` runs it
under waitress.

Pages: ``/`` (sign-up form with the CRS calculator), ``/sent``, ``/confirm/<link>`` (a button that confirms),
``/manage/<link>`` (settings, backtest, data download, unsubscribe, deletion), ``/unsubscribe/<link>`` (RFC
8058 one-click: a POST of ``List-Unsubscribe=One-Click`` unsubscribes; a GET shows a button), ``/privacy``
and ``/healthz``. Every form carries a CSRF token; sign-ups and mails are rate limited; a honeypot field that
holds anything creates nothing and answers like success; a known address gets the same answer as a new one.
No address, link or secret is logged: waitress logs no requests, and an unhandled error is logged with the
route's pattern, never the path (which holds a signed link) nor the exception's text (SQL parameters).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any, Final

from flask import Flask, g, redirect, request
from jinja2 import TemplateError, TemplateNotFound
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from drawwatch.app import links
from drawwatch.app.links import LinkError, Purpose
from drawwatch.app.signup import (
    Registered,
    SubscriberSettings,
    confirm,
    delete,
    mail_url_for,
    purge_expired,
    register,
    subscriber_for,
    unsubscribe,
    update_settings,
)
from drawwatch.config import Settings
from drawwatch.domain.clock import utcnow
from drawwatch.domain.errors import ConfigError, InvalidInput
from drawwatch.domain.vocabulary import SUBSCRIBABLE_KEYS
from drawwatch.notify.message import RenderedMessage
from drawwatch.notify.render import Renderer
from drawwatch.notify.sandbox import RenderLimits
from drawwatch.storage.backtest import Verdict, backtest
from drawwatch.storage.db import session_scope
from drawwatch.storage.reminders import reminder_state
from drawwatch.storage.signup import (
    confirm_signup,
    explicit_categories,
    export_subscriber,
    note_mail_sent,
    occupations_of,
    signup_of,
)
from drawwatch.storage.subscribers import edit_subscriber, get_subscriber, score_state
from drawwatch.web.catalog import LANGUAGES, category_label, pick_language, text, translator
from drawwatch.web.forms import NOC_ROWS, ParsedForm, honeypot_filled, parse_form, profile_values
from drawwatch.web.mail import BackgroundMailer, Mailer
from drawwatch.web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    AddressDigest,
    Limiter,
    csrf_ok,
    csrf_token,
    new_csrf_secret,
)

log = logging.getLogger("drawwatch.web")

MAX_BODY: Final = 32 * 1024  # bytes of a request body: the longest form is a few kilobytes
BACKTEST_ROUNDS: Final = 10
CSP: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
TIME_ZONES: Final = (
    "America/St_Johns",
    "America/Halifax",
    "America/Toronto",
    "America/Winnipeg",
    "America/Regina",
    "America/Edmonton",
    "America/Vancouver",
    "Europe/London",
    "Europe/Paris",
    "Africa/Lagos",
    "Asia/Kolkata",
    "Asia/Manila",
    "Asia/Shanghai",
)


class _SiteFlask(Flask):
    def log_exception(self, exc_info: Any) -> None:
        """An unhandled error: the route's pattern and the traceback's frames, never the request path (it
        holds a signed link) nor the exception's message (an SQL error quotes its parameters: an address)."""
        rule = request.url_rule.rule if request.url_rule is not None else "?"
        kind = exc_info[0].__name__ if exc_info and exc_info[0] else "error"
        frames = "".join(traceback.format_tb(exc_info[2])) if exc_info and exc_info[2] else ""
        log.error("unhandled %s in %s %s\n%s", kind, request.method, rule, frames)


class Site:
    """What the views share: settings, engine, templates, mailer, limits, clock."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        mailer: Mailer | None = None,
        limiter: Limiter | None = None,
        now: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        links.public_url(settings)
        links.secret_keys(settings)
        if settings.mail_url is None:
            raise ConfigError(
                "DRAWWATCH_MAIL_URL is not set: give the apprise mailto:// or mailtos:// URL the site sends "
                "from, without a recipient (e.g. mailtos://user:password@smtp.example.org?from=alerts@example.org)"
            )
        self.settings = settings
        self.engine = engine
        self.mailer: Mailer = mailer or BackgroundMailer(timeout=settings.delivery_timeout)
        self.limiter = limiter or Limiter()
        self.now = now
        self.digest = AddressDigest()
        self.renderer = Renderer(
            settings.templates_dir,
            max_output_bytes=2_000_000,
            limits=RenderLimits(max_steps=2_000_000, max_seconds=5.0),
        )
        self.secure_cookie = (settings.public_url or "").startswith("https://")
        with session_scope(engine) as session:
            purge_expired(session, dt.timedelta(hours=settings.confirm_link_hours), now=now())

    @property
    def mail_url(self) -> str:
        assert self.settings.mail_url is not None
        return self.settings.mail_url.get_secret_value()

    @property
    def confirm_hours(self) -> int:
        return round(self.settings.confirm_link_hours)

    # ------------------------------------------------------------------------------------------- templates

    def template(self, name: str, language: str) -> str:
        """The template to render for ``language``: ``web/<language>/name`` when one exists (an operator's
        override for one language), else ``web/name``."""
        for candidate in (f"web/{language}/{name}", f"web/{name}"):
            try:
                self.renderer.env.get_template(candidate)
            except TemplateNotFound:
                continue
            except TemplateError:  # a broken override: render() reports it with file and line
                return candidate
            return candidate
        return f"web/{name}"

    def render(self, name: str, language: str, **context: Any) -> str:
        base = {
            "lang": language,
            "t": translator(language),
            "category_label": lambda key: category_label(language, key),
            "other_language": "fr" if language == "en" else "en",
            "path": request.path if _in_request() else "/",
            "csrf": getattr(g, "csrf_form", "") if _in_request() else "",
            "csrf_field": CSRF_FIELD,
            "hours": self.confirm_hours,
        }
        return self.renderer.render(self.template(name, language), {**base, **context})

    def page(self, name: str, language: str, status: int = 200, **context: Any) -> Response:
        return Response(self.render(name, language, **context), status=status, mimetype="text/html")

    def message(self, language: str, key: str, status: int, **context: Any) -> Response:
        """A page with a title and a paragraph: ``<key>.title`` and ``<key>.body`` of the catalog."""
        return self.page(
            "message.html.j2",
            language,
            status,
            title=text(language, f"{key}.title"),
            body=text(language, f"{key}.body", hours=self.confirm_hours),
            **context,
        )

    # --------------------------------------------------------------------------------------------- mail

    def mail(self, registered: Registered, address_url: str, language: str) -> None:
        """The confirmation mail (or, for an address confirmed already, the link to its manage page)."""
        known = registered.confirmed
        link = (
            links.manage_url(self.settings, registered.token)
            if known
            else links.confirm_url(self.settings, registered.token)
        )
        kind = "known" if known else "confirm"
        context = {"link": link, "kind": kind}
        message = RenderedMessage(
            subject=" ".join(self.render("mail_subject.txt.j2", language, **context).split()),
            text=self.render("mail.txt.j2", language, **context).strip() + "\n",
            html=self.render("mail.html.j2", language, **context).strip() + "\n",
        )
        self.mailer.send(address_url, message)


def _in_request() -> bool:
    from flask import has_request_context

    return has_request_context()


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    *,
    mailer: Mailer | None = None,
    limiter: Limiter | None = None,
    now: Callable[[], dt.datetime] = utcnow,
) -> Flask:
    """The site. Without arguments it loads the settings and opens (and migrates) their database, as
    ``waitress-serve --call drawwatch.web:create_app`` would; ``drawwatch serve`` passes its own."""
    if settings is None:
        from drawwatch.config import load_settings

        settings = load_settings()
    if engine is None:
        from drawwatch.storage.db import make_engine
        from drawwatch.storage.migrate import init_schema

        engine = make_engine(settings.database_url)
        init_schema(engine)
    site = Site(settings, engine, mailer=mailer, limiter=limiter, now=now)
    app = _SiteFlask("drawwatch.web")
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY,
        MAX_FORM_MEMORY_SIZE=MAX_BODY,
        MAX_FORM_PARTS=300,
        SECRET_KEY=None,
    )
    app.extensions["drawwatch"] = site
    if settings.web_proxy_hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.web_proxy_hops, x_proto=settings.web_proxy_hops
        )
    _routes(app, site)
    return app


def _language(*preferred: str | None) -> str:
    """?lang= first, then the given candidates (a form's or subscriber's language), then the browser's."""
    browser = request.accept_languages.best_match(LANGUAGES)
    return pick_language(request.args.get("lang"), *preferred, browser)


def _client() -> str:
    return request.remote_addr or "unknown"


def _routes(app: Flask, site: Site) -> None:
    settings = site.settings

    @app.before_request
    def _csrf_cookie() -> None:
        secret = request.cookies.get(CSRF_COOKIE) or ""
        g.csrf_new = not secret or len(secret) > 64
        if g.csrf_new:
            secret = new_csrf_secret()
        g.csrf_secret = secret
        g.csrf_form = csrf_token(settings, secret)

    @app.after_request
    def _headers(response: Response) -> Response:
        if getattr(g, "csrf_new", False) and response.mimetype == "text/html":
            response.set_cookie(
                CSRF_COOKIE,
                g.csrf_secret,
                httponly=True,
                samesite="Lax",
                secure=site.secure_cookie,
                path="/",
            )
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"  # the path holds a signed link
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        key = {404: "error.not_found", 405: "error.method", 413: "error.too_large"}.get(exc.code or 0)
        language = _language()
        if key is None:
            key = "error.server" if (exc.code or 500) >= 500 else "error.csrf"
        return site.page("message.html.j2", language, exc.code or 500, title=text(language, key), body="")

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> Response:
        app.log_exception(sys.exc_info())
        language = _language()
        return site.page("message.html.j2", language, 500, title=text(language, "error.server"), body="")

    def csrf_refused(language: str) -> Response | None:
        if csrf_ok(settings, request.cookies.get(CSRF_COOKIE), request.form.get(CSRF_FIELD)):
            return None
        return site.page(
            "message.html.j2", language, 400, title=text(language, "error.csrf"), body="", retry=request.path
        )

    def checked_post(purpose: Purpose, signed: str, language: str) -> tuple[int, str] | Response:
        """A form POST to a signed link: its CSRF token, the client's action rate limit, then the link;
        the subscriber and token, or the page that refuses it."""
        refused = csrf_refused(language)
        if refused is not None:
            return refused
        if not site.limiter.hit("action_ip", _client()):
            return site.message(language, "limited", 429)
        return resolve(purpose, signed, language)

    def signup_page(language: str, parsed: ParsedForm | None = None, status: int = 200) -> Response:
        return site.page(
            "signup.html.j2",
            language,
            status,
            form=_form_context(parsed.values if parsed else {"language": language}),
            problems=parsed.problems if parsed else [],
            score=parsed.score if parsed else None,
            **_choices(),
        )

    @app.get("/")
    def signup_form() -> Response:
        return signup_page(_language())

    @app.post("/")
    def signup_post() -> Response:
        language = _language(request.form.get("language"))
        refused = csrf_refused(language)
        if refused is not None:
            return refused
        action = request.form.get("action", "signup")
        parsed = parse_form(request.form, language, today=site.now().date(), calculate=action == "calculate")
        if action == "calculate":  # only the calculator's problems: the rest of the form may come later
            parsed.problems = [(where, problem) for where, problem in parsed.problems if where == "profile"]
            return signup_page(language, parsed, 200 if not parsed.problems else 422)
        if not parsed.ok or parsed.settings is None:
            return signup_page(language, parsed, 422)
        sent = redirect(f"/sent?lang={language}", code=303)  # the language of the page they were on
        if honeypot_filled(request.form):
            return sent  # what a bot sees: success, and nothing was stored
        digest = site.digest(parsed.email)
        if not (site.limiter.hit("signup_ip", _client()) and site.limiter.hit("signup_address", digest)):
            return site.message(language, "limited", 429)
        try:
            with session_scope(site.engine) as session:
                registered = register(
                    session,
                    parsed.email,
                    parsed.settings,
                    mail_url=site.mail_url,
                    unconfirmed_for=dt.timedelta(hours=settings.confirm_link_hours),
                    now=site.now(),
                )
                mail = site.limiter.hit("mail_address", digest) and site.limiter.hit("mail_all", "*")
                if mail:
                    note_mail_sent(session, registered.subscriber_id, now=site.now())
        except IntegrityError:  # the same new address signed up twice at once: the other one won
            return sent
        except InvalidInput as exc:
            parsed.problems.append(("email", str(exc)))
            return signup_page(language, parsed, 422)
        if mail:
            site.mail(registered, mail_url_for(site.mail_url, parsed.email), registered.language)
        return sent

    @app.get("/sent")
    def sent_page() -> Response:
        return site.page("sent.html.j2", _language())

    @app.get("/privacy")
    def privacy() -> Response:
        return site.page("privacy.html.j2", _language())

    @app.get("/healthz")
    def health() -> Response:
        return Response("ok\n", mimetype="text/plain")

    # ------------------------------------------------------------------------------ signed-link pages

    def resolve(purpose: Purpose, signed: str, language: str) -> tuple[int, str] | Response:
        """The subscriber id and token a link stands for, or the page saying why it does not work."""
        try:
            token = links.verify(settings, purpose, signed)
        except LinkError as exc:
            key = "link.expired" if exc.expired else "link.invalid"
            return site.message(language, key, 410 if exc.expired else 400)
        with session_scope(site.engine) as session:
            subscriber_id = subscriber_for(session, token)
        if subscriber_id is None:
            return site.message(language, "link.gone", 410)
        return subscriber_id, token

    @app.get("/confirm/<signed>")
    def confirm_form(signed: str) -> Response:
        language = _language()
        found = resolve(Purpose.CONFIRM, signed, language)
        if isinstance(found, Response):
            return found
        language = _language(_stored_language(site, found[0]))
        return site.page("confirm.html.j2", language)

    @app.post("/confirm/<signed>")
    def confirm_post(signed: str) -> Response:
        language = _language()
        found = checked_post(Purpose.CONFIRM, signed, language)
        if isinstance(found, Response):
            return found
        subscriber_id, token = found
        # A subscriber the operator added has no sign-up: nothing to confirm (LookupError).
        with session_scope(site.engine) as session, contextlib.suppress(LookupError):
            confirm(session, subscriber_id, now=site.now())
        return redirect(links.manage_url(settings, token), code=303)

    def manage_page(
        subscriber_id: int,
        language: str | None = None,
        *,
        parsed: ParsedForm | None = None,
        status: int = 200,
        notice: str | None = None,
    ) -> Response:
        with session_scope(site.engine) as session:
            view = get_subscriber(session, subscriber_id)
            if view is None:
                return site.message(language or _language(), "link.gone", 410)
            signup = signup_of(session, subscriber_id)
            state = score_state(session, subscriber_id)
            stored = {
                "language": view.language,
                "mode": "crs",
                "crs": str(view.crs),
                "category": explicit_categories(session, subscriber_id),
                "timezone": view.time_zone or "",
            }
            if view.quiet_hours:
                stored["quiet_from"], _, stored["quiet_to"] = view.quiet_hours.partition("-")
            for index, (code, months) in enumerate(occupations_of(session, subscriber_id)[:NOC_ROWS], 1):
                stored[f"noc_{index}"], stored[f"months_{index}"] = code, str(months)
            if state is not None and state.profile:
                stored |= profile_values(state.profile)
            reminding = reminder_state(session, subscriber_id)
            if reminding is not None and reminding.enabled:
                stored["reminders"] = "1"
            verdicts = backtest(session, subscriber_id, last=BACKTEST_ROUNDS)
        language = language or _language(view.language)
        if signup is not None and signup.confirmed_at is None:
            status_key = "unconfirmed"
        else:
            status_key = "active" if view.active else "inactive"
        return site.page(
            "manage.html.j2",
            language,
            status,
            form=_form_context(parsed.values if parsed else stored),
            problems=parsed.problems if parsed else [],
            score=parsed.score if parsed else None,
            email=signup.email if signup is not None else view.name,
            status_key=status_key,
            active=view.active,
            crs=view.crs,
            state=state,
            verdicts=[_verdict_row(v, language) for v in verdicts],
            rounds=BACKTEST_ROUNDS,
            notice=notice,
            data_url=request.path.rstrip("/") + "/data.json",
            **_choices(),
        )

    @app.get("/manage/<signed>")
    def manage_get(signed: str) -> Response:
        found = resolve(Purpose.MANAGE, signed, _language())
        if isinstance(found, Response):
            return found
        done = request.args.get("done")
        notice = {
            "saved": "manage.saved",
            "unsubscribed": "manage.unsubscribed",
            "resubscribed": "manage.resubscribed",
        }.get(done or "")
        language = _language(_stored_language(site, found[0]))
        return manage_page(found[0], language, notice=notice)

    @app.post("/manage/<signed>")
    def manage_post(signed: str) -> Response:
        language = _language(request.form.get("language"))
        found = checked_post(Purpose.MANAGE, signed, language)
        if isinstance(found, Response):
            return found
        subscriber_id, _ = found
        action = request.form.get("action", "save")
        back = f"{links.public_url(settings)}{request.path}"
        if action in ("save", "calculate"):
            parsed = parse_form(
                request.form,
                language,
                today=site.now().date(),
                with_email=False,
                calculate=action == "calculate",
            )
            if action == "calculate":
                parsed.problems = [
                    (where, problem) for where, problem in parsed.problems if where == "profile"
                ]
            if action == "calculate" or not parsed.ok or parsed.settings is None:
                status = 200 if action == "calculate" and not parsed.problems else 422
                return manage_page(subscriber_id, language, parsed=parsed, status=status)
            new: SubscriberSettings = parsed.settings
            try:
                with session_scope(site.engine) as session:
                    update_settings(session, subscriber_id, new, now=site.now())
            except InvalidInput as exc:
                parsed.problems.append(("crs", str(exc)))
                return manage_page(subscriber_id, language, parsed=parsed, status=422)
            return redirect(f"{back}?done=saved&lang={new.language}", code=303)
        if action == "unsubscribe":
            with session_scope(site.engine) as session:
                unsubscribe(session, subscriber_id)
            return redirect(f"{back}?done=unsubscribed", code=303)
        if action == "resubscribe":
            with session_scope(site.engine) as session:
                try:
                    confirm_signup(session, subscriber_id, now=site.now())
                except LookupError:
                    edit_subscriber(session, subscriber_id, active=True)
            return redirect(f"{back}?done=resubscribed", code=303)
        if action == "delete":
            if request.form.get("confirm_delete") != "yes":
                return manage_page(
                    subscriber_id,
                    language,
                    status=422,
                    notice="manage.delete_unchecked",
                )
            with session_scope(site.engine) as session:
                delete(session, subscriber_id)
            return site.message(language, "deleted", 200)
        return site.page("message.html.j2", language, 400, title=text(language, "error.method"), body="")

    @app.get("/manage/<signed>/data.json")
    def manage_data(signed: str) -> Response:
        found = resolve(Purpose.MANAGE, signed, _language())
        if isinstance(found, Response):
            return found
        with session_scope(site.engine) as session:
            data = export_subscriber(session, found[0])
        body = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        return Response(
            body,
            mimetype="application/json",
            headers={"Content-Disposition": 'attachment; filename="drawwatch-my-data.json"'},
        )

    @app.get("/unsubscribe/<signed>")
    def unsubscribe_form(signed: str) -> Response:
        found = resolve(Purpose.UNSUBSCRIBE, signed, _language())
        if isinstance(found, Response):
            return found
        return site.page("unsubscribe.html.j2", _language(_stored_language(site, found[0])))

    @app.post("/unsubscribe/<signed>")
    def unsubscribe_post(signed: str) -> Response:
        language = _language()
        if request.form.get("List-Unsubscribe") == "One-Click":
            # RFC 8058: the mail provider POSTs this, with no cookie and no token; the signed link is the proof.
            try:
                token = links.verify(settings, Purpose.UNSUBSCRIBE, signed)
            except LinkError:
                return Response("this link is not valid\n", status=400, mimetype="text/plain")
            with session_scope(site.engine) as session:
                subscriber_id = subscriber_for(session, token)
                if subscriber_id is not None:
                    unsubscribe(session, subscriber_id)
            return Response("unsubscribed\n", mimetype="text/plain")
        found = checked_post(Purpose.UNSUBSCRIBE, signed, language)
        if isinstance(found, Response):
            return found
        subscriber_id, token = found
        language = _language(_stored_language(site, subscriber_id))
        with session_scope(site.engine) as session:
            unsubscribe(session, subscriber_id)
        return site.page("unsubscribed.html.j2", language, manage=links.manage_url(settings, token))


def _stored_language(site: Site, subscriber_id: int) -> str | None:
    with session_scope(site.engine) as session:
        view = get_subscriber(session, subscriber_id)
    return None if view is None else view.language


def _choices() -> dict[str, Any]:
    from drawwatch.web.forms import (
        CANADIAN_EDUCATION,
        EDUCATIONS,
        JOB_OFFERS,
        SPOUSE_STATUSES,
        TEST_CHOICES,
    )

    return {
        "categories": list(SUBSCRIBABLE_KEYS),
        "educations": list(EDUCATIONS),
        "spouse_statuses": list(SPOUSE_STATUSES),
        "tests": list(TEST_CHOICES),
        "canadian_educations": list(CANADIAN_EDUCATION),
        "job_offers": list(JOB_OFFERS),
        "abilities": ["listening", "reading", "writing", "speaking"],
        "noc_rows": list(range(1, NOC_ROWS + 1)),
        "time_zones": list(TIME_ZONES),
        "languages": list(LANGUAGES),
    }


def _form_context(values: dict[str, Any]) -> dict[str, Any]:
    """Form values for the template: every field a string (missing ones empty), categories a list."""

    class _Values(dict[str, Any]):
        def __missing__(self, key: str) -> str:
            return ""

    out = _Values(values)
    out.setdefault("category", [])
    return out


def _verdict_row(verdict: Verdict, language: str) -> dict[str, Any]:
    """One backtest row in the page's language."""
    t = translator(language)
    label = category_label(language, verdict.category)
    reasons: list[str] = []
    if not verdict.would_alert:
        if not verdict.conditions["category"]:
            reasons.append(t("why.not_category", category=label))
        if not verdict.conditions["score"]:
            reasons.append(t("why.below", n=-verdict.margin))
        elif not verdict.conditions["tie_break"]:
            reasons.append(t("why.tie_late"))
    else:
        reasons.append(
            t("why.general") if verdict.category == "general" else t("why.category", category=label)
        )
        if verdict.standing == "clear":
            reasons.append(t("why.above", n=verdict.margin))
        elif verdict.standing == "tie_invited":
            reasons.append(t("why.tie_invited"))
        else:
            reasons.append(t("why.tie_unknown"))
        if not verdict.conditions["active"]:
            reasons.append(t("why.inactive"))
        elif not verdict.conditions["subscribed_before"]:
            reasons.append(t("why.later"))
    return {
        "number": verdict.number,
        "date": verdict.date.isoformat(),
        "category": label,
        "cutoff": verdict.crs,
        "score": verdict.subscriber_crs,
        "alert": verdict.would_alert,
        "why": "; ".join(reasons),
    }
