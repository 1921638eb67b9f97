"""Back-office views of the messages: the outbox (filters, the text, retry of failed rows),
the message templates (edit with a preview on a real order; super admins only save) and the
RQ queues, workers and failed jobs (super admins only)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import Admin, expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_login import current_user
from markupsafe import Markup, escape

from ...errors import NotFound, ShopError
from ...extensions import db
from ...models import Notification, NotificationChannel, NotificationStatus, Order
from ...services import message_preview, message_templates
from ...services.notifications import (
    RENDER_ERRORS,
    SECRET_MASK,
    SECRET_VALUES,
    render_notification,
    retry_failed,
)
from ...services.order_search import get_scoped_order
from ...services.phones import mask_phone
from ...unit_of_work import commit
from ...web import local_datetime, public_base_url
from .base import ScopedModelView, SecureView, current_scope

CATEGORY = "Pesan"
STATUS_LABELS = {
    NotificationStatus.QUEUED: "Menunggu", NotificationStatus.SENDING: "Sedang dikirim",
    NotificationStatus.SENT: "Terkirim", NotificationStatus.FAILED: "Gagal",
    NotificationStatus.SUPPRESSED: "Ditahan",
}
STATUS_BADGES = {"queued": "info", "sending": "warning", "sent": "success", "failed": "danger",
                 "suppressed": "secondary"}
CHANNEL_LABELS = {NotificationChannel.WHATSAPP: "WhatsApp", NotificationChannel.EMAIL: "Email"}
AUDIENCES = {"customer": "Pelanggan", "admin": "Admin toko", "shop": "Toko dealer"}
LOCALE_LABELS = {"id": "Indonesia", "en": "English"}


class ChoiceFilter(FilterEqual):
    """Equal to one of a closed set (an unknown value is refused, not sent to the database)."""

    def validate(self, value) -> bool:
        return value in {key for key, _ in self.options}


def masked_recipient(recipient: str) -> str:
    """A phone number with its middle hidden, as elsewhere in the back office."""
    return mask_phone(recipient) if recipient.isdigit() else recipient


def outbox_text(row: Notification) -> tuple[str | None, str | None]:
    """(text, why not): the body as sent, else as it would go out now, with secrets (a
    login code still waiting to go out) masked: an admin never reads a dealer's code."""
    if row.status == NotificationStatus.SENT and row.body:
        return row.body, None
    try:
        text = render_notification(row)[1]
    except RENDER_ERRORS as error:
        return None, str(error)
    for name in SECRET_VALUES.get(row.template, ()):
        value = (row.data or {}).get(name)
        if value:
            text = text.replace(str(value), SECRET_MASK)
    return text, None


def _status_badge(view, context, row, name) -> Markup:
    return Markup('<span class="badge badge-{} badge-status">{}</span>').format(
        STATUS_BADGES.get(row.status.value, "secondary"), STATUS_LABELS[row.status])


def _order_link(view, context, row, name):
    """The order's number, linked (the detail page shows one row: one look-up)."""
    order = db.session.get(Order, row.order_id) if row.order_id else None
    if order is None:
        return ""
    return Markup('<a href="{}">{}</a>').format(url_for("order.details_view", id=order.id),
                                               escape(order.number))


def _when(name: str):
    return lambda v, c, row, n: local_datetime(getattr(row, name))


class OutboxView(ScopedModelView):
    """The notification outbox of the admin's stores: what was sent, what waits, what failed
    and why; failed rows are sent again from here."""

    can_create = can_edit = can_delete = False
    details_template = "admin/messages/outbox_details.html"
    column_list = ("created_at", "template", "channel", "recipient", "status", "attempts",
                   "last_error", "next_attempt_at", "sent_at")
    column_details_list = ("id", "created_at", "order_id", "template", "locale", "channel",
                           "recipient", "status", "attempts", "last_error", "next_attempt_at",
                           "claimed_at", "sent_at", "provider_message_id", "subject")
    column_default_sort = ("id", True)
    column_sortable_list = ("created_at", "status", "attempts", "next_attempt_at", "sent_at")
    named_filter_urls = True
    column_filters = (
        ChoiceFilter(Notification.status, "Status",
                     options=[(s.value, label) for s, label in STATUS_LABELS.items()]),
        ChoiceFilter(Notification.template, "Template",
                     options=[(key, key) for key in message_templates.SPECS]),
        ChoiceFilter(Notification.channel, "Kanal",
                     options=[(c.value, label) for c, label in CHANNEL_LABELS.items()]),
        "created_at",
    )
    column_labels = {"id": "ID", "created_at": "Dibuat", "order_id": "Pesanan",
                     "template": "Template", "locale": "Bahasa", "channel": "Kanal",
                     "recipient": "Penerima", "attempts": "Percobaan",
                     "last_error": "Error terakhir", "next_attempt_at": "Percobaan berikut",
                     "claimed_at": "Diambil worker", "sent_at": "Terkirim",
                     "provider_message_id": "ID penyedia", "subject": "Subjek email"}
    column_formatters = {
        "recipient": lambda v, c, row, n: masked_recipient(row.recipient),
        "status": _status_badge, "order_id": _order_link,
        "channel": lambda v, c, row, n: CHANNEL_LABELS[row.channel],
        "created_at": _when("created_at"), "next_attempt_at": _when("next_attempt_at"),
        "claimed_at": _when("claimed_at"), "sent_at": _when("sent_at"),
    }

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            text, error = outbox_text(kwargs["model"])
            kwargs.update(message_text=text, render_error=error,
                          can_retry=kwargs["model"].status == NotificationStatus.FAILED)
        return super().render(template, **kwargs)

    @action("retry", "Kirim ulang", "Kirim ulang pesan gagal yang dipilih?")
    def action_retry(self, ids) -> None:
        """Send the selected failed rows again (other rows are left as they are)."""
        self._retry(ids)

    @expose("/retry/", methods=("POST",))
    def retry_view(self):
        """The detail page's button: send this failed row again."""
        row = self.get_one(request.form.get("id", ""))
        if row is None:
            abort(404)
        self._retry([row.id])
        return redirect(self.get_url(".details_view", id=row.id))

    def _retry(self, ids) -> int:
        keys = [k for k in (self.primary_key(i) for i in ids) if k is not None]
        mine = [row.id for row in self.get_query().filter(
            Notification.id.in_(keys), Notification.status == NotificationStatus.FAILED)]
        count = retry_failed(mine) if mine else 0
        commit()
        if count:
            flash(f"{count} pesan dikirim ulang.", "success")
        else:
            flash("Tidak ada pesan gagal yang dipilih.", "warning")
        return count


class MessageTemplateView(SecureView):
    """The message texts, one per event and language: every admin reads them and tries them
    on an order; only a super admin changes them (they are the same for every store)."""

    @expose("/")
    def index(self):
        edited = message_preview.edited_templates()
        rows = [{"key": key, "spec": spec, "audience": AUDIENCES.get(spec.audience, spec.audience),
                 "editable": message_preview.editable(key),
                 "locales": [(locale, edited.get((key, locale)))
                             for locale in message_templates.LOCALES]}
                for key, spec in message_templates.SPECS.items()]
        return self.render("admin/messages/templates.html", rows=rows,
                           locale_labels=LOCALE_LABELS)

    @expose("/<key>/<locale>/", methods=("GET", "POST"))
    def edit(self, key: str, locale: str):
        """The text with its variables and a preview; POST: preview, save or reset."""
        if not message_preview.editable(key) or locale not in message_templates.LOCALES:
            abort(404)
        spec = message_templates.SPECS[key]
        subject, body = message_preview.current_text(key, locale)
        do = request.form.get("do") if request.method == "POST" else None
        if do in ("save", "reset") and not current_user.is_super_admin():
            abort(403)
        if do == "reset":
            message_preview.reset_template(key, locale)
            commit()
            flash("Template kembali ke teks bawaan.", "success")
            return redirect(url_for(".edit", key=key, locale=locale))
        if do in ("save", "preview"):
            subject, body = request.form.get("subject", ""), request.form.get("body", "")
        order = self._order(request.values.get("order"))
        refused = None
        if do == "save":
            try:
                message_preview.save_template(key, locale, body, subject,
                                              by=current_user.email)
                commit()
            except ShopError as error:
                db.session.rollback()
                refused = f"Tidak disimpan. {error.message}"
            else:
                flash("Template disimpan; pesan berikutnya memakai teks ini.", "success")
                return redirect(url_for(".edit", key=key, locale=locale,
                                        order=order.id if order else "sample"))
        return self._edit_page(key, locale, spec, subject, body, order, refused)

    def _edit_page(self, key, locale, spec, subject, body, order, refused=None):
        preview, error = None, None
        try:
            preview = message_preview.render_preview(key, locale, body, subject, order,
                                                     base_url=public_base_url())
        except ShopError as failed:
            error = failed.message
        return self.render(
            "admin/messages/template_edit.html", key=key, locale=locale, spec=spec,
            subject=subject or "", body=body, order=order, preview=preview,
            preview_error=error, save_error=refused,
            edited=message_preview.edited_template(key, locale),
            orders=message_preview.recent_orders(current_scope()),
            can_save=current_user.is_super_admin(), locale_labels=LOCALE_LABELS,
            audience=AUDIENCES.get(spec.audience, spec.audience))

    def _order(self, order_id: str | None):
        """The order to preview on: the one asked for (of the admin's stores), none when
        "sample" is asked for, else the latest."""
        if order_id == "sample":
            return None
        if order_id:
            try:
                return get_scoped_order(current_scope(), order_id)
            except NotFound:
                abort(404)
        latest = message_preview.recent_orders(current_scope(), limit=1)
        return latest[0] if latest else None


class QueuesView(SecureView):
    """RQ's queues, workers and failed jobs (read-only), for super admins."""

    super_admin_only = True

    @expose("/")
    def index(self):
        from ...jobs import redis_connection

        connection = redis_connection(current_app)
        report, error = None, None
        if connection is not None:
            try:
                report = queue_report(connection)
            except Exception as failure:  # Redis down: say so, the page still answers
                error = f"{type(failure).__name__}: {failure}"
        return self.render("admin/messages/queues.html", configured=connection is not None,
                           report=report, error=error)


#: Failed jobs shown per queue (newest first).
FAILED_SHOWN = 10


def queue_report(connection) -> dict:
    """Per queue: waiting, started, scheduled and failed counts with the last failed jobs
    (id, function, first line of the error); and the workers with their state. Reads only
    (no registry clean-up)."""
    from rq import Queue, Worker
    from rq.job import Job

    from ...jobs import QUEUES

    queues = []
    for name in QUEUES:
        q = Queue(name, connection=connection)
        failed = q.failed_job_registry
        ids = failed.get_job_ids(0, FAILED_SHOWN - 1, desc=True, cleanup=False)
        jobs = [_failed_job(job_id, job) for job_id, job in
                zip(ids, Job.fetch_many(ids, connection=connection), strict=True)]
        queues.append({"name": name, "waiting": q.count,
                       "started": q.started_job_registry.get_job_count(cleanup=False),
                       "scheduled": q.scheduled_job_registry.get_job_count(cleanup=False),
                       "failed": failed.get_job_count(cleanup=False), "failed_jobs": jobs})
    workers = [{"name": w.name, "state": w.get_state(), "queues": ", ".join(w.queue_names()),
                "current_job": w.get_current_job_id(), "heartbeat": w.last_heartbeat,
                "done": w.successful_job_count, "failed": w.failed_job_count}
               for w in Worker.all(connection=connection)]
    return {"queues": queues, "workers": workers}


def _failed_job(job_id: str, job) -> dict:
    if job is None:
        return {"id": job_id, "func": "", "error": "(data job sudah kedaluwarsa)", "ended": None}
    result = job.latest_result()
    lines = (result.exc_string or "").strip().splitlines() if result is not None else []
    return {"id": job_id, "func": job.func_name or "", "ended": job.ended_at,
            "error": lines[-1] if lines else ""}


def register(admin: Admin) -> None:
    """The outbox, the message templates and the queues, under "Pesan"."""
    admin.add_view(OutboxView(Notification, name="Notifikasi", category=CATEGORY,
                              endpoint="outbox"))
    admin.add_view(MessageTemplateView(name="Template Pesan", category=CATEGORY,
                                       endpoint="message_templates",
                                       url="/admin/message-templates"))
    admin.add_view(QueuesView(name="Antrean & worker", category=CATEGORY, endpoint="queues",
                              url="/admin/queues"))
