"""Help for members: the frequently asked questions, in French and English.

Rows with no ``organization_id`` are the platform's; the others are one organization's
additions, returned only for that organization. ``PLATFORM_FAQ`` is the platform's
starting set (inserted by the migration's service seeder when the table has none), true
to this product: card payment on the provider's page, e-cards in "Mes e-billets &
e-cartes", documents in "Mes justificatifs".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True)
class HelpEntry:
    """One question and its answer in both languages."""

    id: int
    organization_id: int | None
    """None: the platform's entry (every member sees it)."""
    organization_name: str
    position: int
    question_fr: str
    answer_fr: str
    question_en: str
    answer_en: str

    def question(self, language: str) -> str:
        """The question in ``language`` (French unless ``en``)."""
        return self.question_en if language == "en" else self.question_fr

    def answer(self, language: str) -> str:
        """The answer in ``language`` (French unless ``en``)."""
        return self.answer_en if language == "en" else self.answer_fr


PLATFORM_FAQ: tuple[tuple[str, str, str, str], ...] = (
    (
        "Comment puis-je régler ma commande ?",
        "Vos avantages (subventions, puis e-chèques culture, puis e-chèques cadeaux) sont "
        "déduits d'abord. Le reste se règle par carte bancaire (CB, Visa, Mastercard) sur la "
        "page de paiement de notre prestataire : le terminal affiche un lien court et un QR "
        "code, vous payez sur votre téléphone ou votre navigateur.",
        "How do I pay for my order?",
        "Your benefits (subsidies, then culture e-vouchers, then gift e-vouchers) are spent "
        "first. The rest is paid by card (CB, Visa, Mastercard) on our payment provider's "
        "page: the terminal shows a short link and a QR code, and you pay on your phone or "
        "in your browser.",
    ),
    (
        "Est-ce sécurisé de payer ?",
        "Oui. Le paiement se fait sur la page du prestataire de paiement, avec 3-D Secure : "
        "votre numéro de carte ne passe jamais par le portail. Nous ne gardons que la marque "
        "de la carte et ses 4 derniers chiffres.",
        "Is paying secure?",
        "Yes. You pay on the payment provider's page, with 3-D Secure: your card number "
        "never goes through the portal. We keep only the card's brand and last 4 digits.",
    ),
    (
        "Puis-je annuler une commande ?",
        "Une commande pas encore expédiée s'annule dans « Mes dernières commandes » : ouvrez "
        "la commande et choisissez l'annulation. Elle est remboursée sur les moyens qui "
        "l'ont payée (avantages et carte). Une commande expédiée, et les e-billets, ne "
        "s'annulent plus.",
        "Can I cancel an order?",
        'An order not shipped yet is cancelled in "My latest orders": open the order and '
        "choose to cancel it. It is refunded to what paid for it (benefits and card). A "
        "shipped order, and e-tickets, can no longer be cancelled.",
    ),
    (
        "Comment choisir mon adresse de livraison ?",
        "Renseignez votre adresse postale dans « Mes coordonnées & préférences », ou au moment "
        "de régler un panier qui contient un produit expédié. L'adresse est enregistrée sur "
        "la commande. Les e-cartes et e-billets sont envoyés à votre email de communication.",
        "How do I choose my delivery address?",
        'Fill in your postal address in "Contact details & preferences", or at checkout '
        "when the basket holds a product sent by post. The address is stored on the order. "
        "E-cards and e-tickets go to your communication email.",
    ),
    (
        "Quand vais-je recevoir ma commande ?",
        "Les e-billets arrivent dès la confirmation du paiement, les e-cartes peu après. Par "
        "la poste, une commande passée avant 15h un jour ouvré est expédiée le jour même, "
        "sinon le jour ouvré suivant. Voir aussi les conditions de chaque offre.",
        "When will my order arrive?",
        "E-tickets arrive as soon as the payment is confirmed, e-cards shortly after. By "
        "post, an order placed before 3 pm on a working day is shipped the same day, else "
        "the next working day. See also each offer's conditions.",
    ),
    (
        "Comment suivre ma commande ?",
        "Le statut de chaque commande est dans « Mes dernières commandes ». Pour un envoi "
        "postal, le numéro de suivi y figure et vous est envoyé par email à l'expédition.",
        "How do I track my order?",
        'Each order\'s status is in "My latest orders". For a parcel, the tracking number '
        "is shown there and emailed to you when it is shipped.",
    ),
    (
        "Quel avantage est déduit en premier ?",
        "Les plus restrictifs d'abord : les subventions, puis les e-chèques culture, puis les "
        "e-chèques cadeaux généraux. Le reste se paie par carte.",
        "Which benefit is spent first?",
        "The most restrictive first: subsidies, then culture e-vouchers, then general gift "
        "e-vouchers. The rest is paid by card.",
    ),
    (
        "Comment connaître le solde de mes e-cartes ?",
        "Vos e-cartes sont dans « Mes e-billets & e-cartes » : numéro, valeur, date de fin "
        "et solde quand l'enseigne le fournit. Sinon, l'enseigne l'indique en caisse ou sur "
        "son site. Archivez une e-carte entièrement utilisée.",
        "How do I know my e-cards' balance?",
        'Your e-cards are in "My e-tickets & e-cards": number, value, expiry and balance '
        "when the store provides one. Otherwise the store tells you at its checkout or on "
        "its website. Archive an e-card once fully used.",
    ),
    (
        "À quoi sert la carte membre ?",
        "Certaines offres demandent de la présenter. Dans « Ma carte membre », un QR code que "
        "le partenaire scanne : il voit si elle est valide, votre prénom et votre "
        "organisation, rien d'autre.",
        "What is the membership card for?",
        'Some offers ask you to show it. In "My membership card", a QR code the partner '
        "scans: they see whether it is valid, your first name and your organization, "
        "nothing else.",
    ),
    (
        "Comment envoyer un justificatif ?",
        "Déposez le fichier dans votre dossier inbox par SFTP (voir « Mes fichiers »), puis "
        "joignez-le dans « Mes justificatifs ». Vous pouvez le voir, le remplacer ou le "
        "supprimer tant qu'un gestionnaire ne l'a pas validé ; un refus indique sa raison.",
        "How do I send a credential document?",
        'Put the file in your inbox folder over SFTP (see "My files"), then attach it in '
        '"My credentials". You can view, replace or delete it until a manager validates '
        "it; a refusal gives its reason.",
    ),
)
"""The platform's starting questions: (question fr, answer fr, question en, answer en)."""


def search_text(*parts: str) -> str:
    """The folded text an entry is found by: lower case, no accents, spaces collapsed
    (the same folding as the shop's ``services.catalog.fold``)."""
    decomposed = unicodedata.normalize("NFKD", " ".join(parts))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def seed_platform_entries(db: Database) -> int:
    """Insert ``PLATFORM_FAQ`` when the platform has no entry (inside the caller's
    transaction); how many were added."""
    if count_platform_entries(db):
        return 0
    for position, (qfr, afr, qen, aen) in enumerate(PLATFORM_FAQ, start=1):
        insert_entry(
            db,
            organization_id=None,
            position=position * 10,
            question_fr=qfr,
            answer_fr=afr,
            question_en=qen,
            answer_en=aen,
            search_text=search_text(qfr, afr, qen, aen),
            updated_by=None,
        )
    return len(PLATFORM_FAQ)


_SELECT = """
    SELECT h.id, h.organization_id, COALESCE(o.name, '') AS organization_name, h.position,
           h.question_fr, h.answer_fr, h.question_en, h.answer_en
    FROM help_entries h LEFT JOIN organizations o ON o.id = h.organization_id
"""
_ORDER = " ORDER BY h.organization_id IS NOT NULL, h.position, h.id"


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_for_organization(
    db: Database, organization_id: int | None, words: Sequence[str] = ()
) -> list[HelpEntry]:
    """The platform's entries, then the organization's, holding every folded word."""
    where = ["(h.organization_id IS NULL OR h.organization_id = ?)"]
    params: list[Any] = [organization_id]
    for word in words:
        where.append("h.search_text LIKE ? ESCAPE '\\'")
        params.append(_like(word))
    rows = db.execute(_SELECT + " WHERE " + " AND ".join(where) + _ORDER, params).fetchall()
    return [HelpEntry(**dict(r)) for r in rows]


def list_all(db: Database) -> list[HelpEntry]:
    """Every entry: the platform's, then each organization's (admins' editor)."""
    rows = db.execute(_SELECT + " ORDER BY o.name IS NOT NULL, o.name, h.position, h.id")
    return [HelpEntry(**dict(r)) for r in rows.fetchall()]


def get_entry(db: Database, entry_id: int) -> HelpEntry | None:
    """One entry by id."""
    row = db.execute(_SELECT + " WHERE h.id = ?", [entry_id]).fetchone()
    return HelpEntry(**dict(row)) if row else None


def next_position(db: Database, organization_id: int | None) -> int:
    """The position after the last entry of the platform (None) or of an organization."""
    row = db.execute(
        "SELECT COALESCE(max(position), 0) + 10 FROM help_entries WHERE organization_id IS ?",
        [organization_id],
    ).fetchone()
    return int(row[0])


def insert_entry(
    db: Database,
    *,
    organization_id: int | None,
    position: int,
    question_fr: str,
    answer_fr: str,
    question_en: str,
    answer_en: str,
    search_text: str,
    updated_by: int | None,
) -> int:
    """Insert an entry and return its id."""
    cur = db.execute(
        "INSERT INTO help_entries (organization_id, position, question_fr, answer_fr,"
        " question_en, answer_en, search_text, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            organization_id,
            position,
            question_fr,
            answer_fr,
            question_en,
            answer_en,
            search_text,
            updated_by,
        ],
    )
    return int(cur.lastrowid or 0)


def update_entry(
    db: Database,
    entry_id: int,
    *,
    question_fr: str,
    answer_fr: str,
    question_en: str,
    answer_en: str,
    search_text: str,
    updated_by: int | None,
) -> None:
    """Replace an entry's texts."""
    db.execute(
        "UPDATE help_entries SET question_fr = ?, answer_fr = ?, question_en = ?,"
        " answer_en = ?, search_text = ?, updated_by = ?,"
        " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?",
        [question_fr, answer_fr, question_en, answer_en, search_text, updated_by, entry_id],
    )


def delete_entry(db: Database, entry_id: int) -> None:
    """Delete an entry."""
    db.execute("DELETE FROM help_entries WHERE id = ?", [entry_id])


def count_platform_entries(db: Database) -> int:
    """How many platform entries exist (none: the starting set is inserted)."""
    return int(
        db.execute("SELECT count(*) FROM help_entries WHERE organization_id IS NULL").fetchone()[0]
    )
