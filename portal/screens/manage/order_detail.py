"""One order as a manager handles it: who ordered, where the parcel goes, what to do next.

The member's order screen with sentences that speak to a manager ("Le colis part…"),
the member's name, the delivery address and phone, and the manager's actions: ship with a
tracking number (``s``), record the parcel delivered (``l``: the return window then runs
from that day), cancel with a reason the member reads (``c``), accept a return on
receipt (``a``) or refuse it (``x``). Every action is audited by its service.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Static

from portal.i18n import _, money
from portal.screens.order_detail import OrderDetailScreen
from portal.services import cancellation, fulfilment, returns
from portal.services.errors import UserError
from portal.services.orders import OrderDetail
from portal.widgets.dialogs import AskDialog, YesNoDialog
from portal.widgets.format import status_text, when_text


class ManageOrderDetailScreen(OrderDetailScreen):
    """An order of the organization, for its managers."""

    CSS_PATH = "../../styles/wallet.tcss"
    MANAGER: ClassVar[bool] = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "ship", "Ship", id="manage_order.ship"),
        Binding("l", "delivered", "Delivered", id="manage_order.delivered"),
        Binding("a", "accept_return", "Accept return", id="manage_order.accept_return"),
        Binding("x", "refuse_return", "Refuse return", id="manage_order.refuse_return"),
    ]

    def screen_title(self) -> str:
        detail = self.detail
        number = f"CMD-{self.order_id:07d}"
        if detail is None:
            return _("Order {number}", number=number)
        return _("Order {number} · {member}", number=number, member=detail.member_name)

    def _draw(self, detail: OrderDetail) -> None:
        super()._draw(detail)
        self.query_one("#order-heading", Static).update(
            Content(
                " · ".join(
                    [
                        detail.number,
                        f"{detail.member_name} ({detail.member_login})",
                        when_text(detail.order.created_at),
                        status_text(detail.order.status),
                    ]
                )
            )
        )

        invoice = (
            _(
                "Invoice {number}: {file} in the member's SFTP folder.",
                number=detail.order.invoice_number,
                file=detail.order.invoice_file,
            )
            if detail.order.invoice_number and detail.order.invoice_file
            else _("The invoice is issued when the payment is confirmed.")
        )
        self.query_one("#order-invoice", Static).update(Content(invoice))

    def actions_text(self, detail: OrderDetail) -> str:
        """What the manager can do now."""
        order = detail.order
        hints: list[str] = []
        if order.has_postal and order.status in ("validated", "preparing"):
            hints.append(_("s: ship with a tracking number"))
        if order.status == "shipped" and order.delivered_at is None:
            hints.append(_("l: the parcel is delivered"))
        if detail.cancellable:
            hints.append(_("c: cancel and refund"))
        if returns.open_return(detail) is not None:
            hints.append(_("a: products received, refund them · x: refuse the return"))
        return " · ".join(hints)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer only the manager's actions still possible."""
        detail = self.detail
        if action == "ship":
            return (
                detail is not None
                and detail.order.has_postal
                and detail.order.status in ("validated", "preparing")
            )
        if action == "delivered":
            return (
                detail is not None
                and detail.order.status == "shipped"
                and detail.order.delivered_at is None
            )
        if action in ("accept_return", "refuse_return"):
            return detail is not None and returns.open_return(detail) is not None
        if action == "invoice":
            return False
        return super().check_action(action, parameters)

    # -- actions -------------------------------------------------------------------------

    def action_ship(self) -> None:
        """Ask the tracking number, then mark the order shipped."""
        detail = self.detail
        if detail is None:
            return

        def answered(tracking: str | None) -> None:
            if tracking is not None:
                self.run_manager_action(
                    fulfilment.mark_shipped,
                    self.order_id,
                    tracking,
                    done=_("Order {number} is marked shipped.", number=detail.number),
                )

        self.app.push_screen(
            AskDialog(
                _("Tracking number of order {number}:", number=detail.number),
                placeholder="6A12345678901",
                max_length=40,
            ),
            answered,
        )

    def action_delivered(self) -> None:
        """Confirm, then record that the parcel was delivered today."""
        detail = self.detail
        if detail is None:
            return

        def answered(answer: bool | None) -> None:
            if answer:
                self.run_manager_action(
                    fulfilment.mark_delivered,
                    self.order_id,
                    done=_("Order {number} is marked delivered.", number=detail.number),
                )

        question = _(
            "Was the parcel of order {number} delivered? The member's {days}-day return"
            " period then runs from today.",
            number=detail.number,
            days=self.portal.services.settings.return_window_days,
        )
        self.app.push_screen(YesNoDialog(question, _("Mark delivered")), answered)

    def action_cancel_order(self) -> None:
        """Ask a reason the member reads, confirm, then cancel and refund."""
        detail = self.detail
        if detail is None or not detail.cancellable:
            return

        def confirmed(reason: str, answer: bool | None) -> None:
            if answer:
                self.run_manager_action(
                    cancellation.cancel_order,
                    self.order_id,
                    provider=self.portal.services.payments.provider,
                    reason=reason,
                    settings=self.portal.services.settings,
                    done=_("Order {number} is cancelled and refunded.", number=detail.number),
                )

        def reason_given(reason: str | None) -> None:
            if reason is None:
                return
            question = _(
                "Cancel order {number} of {amount} and refund the member?",
                number=detail.number,
                amount=money(detail.order.total_cents),
            )
            self.app.push_screen(
                YesNoDialog(question, _("Cancel and refund")),
                lambda answer: confirmed(reason, answer),
            )

        self.app.push_screen(
            AskDialog(_("Reason for the cancellation (the member reads it):"), max_length=200),
            reason_given,
        )

    def action_accept_return(self) -> None:
        """Confirm the products came back, then refund them."""
        detail = self.detail
        pending = returns.open_return(detail) if detail is not None else None
        if detail is None or pending is None:
            return
        question = _(
            "Did the products of order {number} come back? They are then refunded to the"
            " sources they were paid from.",
            number=detail.number,
        )

        def answered(answer: bool | None) -> None:
            if answer:
                self.run_manager_action(
                    returns.accept_return,
                    pending.id,
                    provider=self.portal.services.payments.provider,
                    settings=self.portal.services.settings,
                    done=_("The return is refunded."),
                )

        self.app.push_screen(YesNoDialog(question, _("Refund the return")), answered)

    def action_refuse_return(self) -> None:
        """Ask why, then refuse the return."""
        detail = self.detail
        pending = returns.open_return(detail) if detail is not None else None
        if pending is None:
            return

        def answered(reason: str | None) -> None:
            if reason is not None:
                self.run_manager_action(
                    returns.refuse_return,
                    pending.id,
                    reason=reason,
                    done=_("The return is refused."),
                )

        self.app.push_screen(
            AskDialog(_("Why is the return refused (the member reads it)?"), max_length=200),
            answered,
        )

    @work(exclusive=True, group="order")
    async def run_manager_action(self, fn: Any, *args: Any, done: str, **kwargs: Any) -> None:
        """Run a manager's action on this order, then show the order as it is now."""
        try:
            detail = await self.portal.call(fn, self.portal.member, *args, **kwargs)
        except UserError as error:
            self.post_message(self.Failed(error.text(self.portal.translator())))
            return
        self.post_message(self.Loaded(detail, done))
