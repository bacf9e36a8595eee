"""Demo catalog: French stores, cinemas and parks with realistic discounts and prices.

Imported at start through ``portal.services.registry.FEATURE_MODULES``; importing it
registers ``seed_catalog`` in ``portal.services.demo.DEMO_SEEDERS``. Catalog content is
French (it is what partners publish); the interface around it is translated.

Two offers are negotiated by one organization and visible only to it, so that isolation
can be seen: ``DEMO_ONLY_TITLE`` (CSE Démo) and ``HORIZON_ONLY_TITLE`` (CSE Horizon).
"""

from __future__ import annotations

from sqlite_utils import Database

from portal.services import demo
from portal.services.catalog import OfferSpec, create_offer

DEMO_ONLY_TITLE = "Parc Astérix — tarif négocié CSE Démo"
"""An offer only members of "CSE Démo" see."""
HORIZON_ONLY_TITLE = "Futuroscope — tarif négocié CSE Horizon"
"""An offer only members of "CSE Horizon" see."""

_ECARD_VALIDITY = "12 mois à compter de la date d'émission"
_ECARD_CONDITIONS = (
    "Utilisable en une ou plusieurs fois, cumulable avec les promotions en cours. "
    "Ni remboursable, ni échangeable contre des espèces. Conservez votre e-carte : "
    "elle n'est pas remplacée en cas de perte."
)
_CINEMA_CONDITIONS = (
    "Un billet par personne et par séance, non nominatif. Supplément à régler sur place "
    "pour les séances 3D, IMAX, 4DX et les salles premium. Ni repris, ni échangé."
)
_PARK_CONDITIONS = (
    "Billet daté à activer sur le site du parc avant la visite, selon le calendrier "
    "d'ouverture. Ni repris, ni échangé, ni remboursé, même en cas de météo défavorable."
)
_PARCEL = (
    "Livraison Colissimo à l'adresse postale de votre profil. Expédition le jour même "
    "pour toute commande passée avant 15 h un jour ouvré. Retour possible sous 14 jours."
)


def _catalog() -> list[OfferSpec]:
    """The public offers (visible to every organization)."""
    return [
        # -- Courses -----------------------------------------------------------------
        OfferSpec(
            "Carrefour",
            "ecard",
            "groceries",
            "E-carte Carrefour",
            "E-carte cadeau valable pour vos courses alimentaires et non alimentaires.",
            discount_bp=500,
            face_values=(2000, 5000, 10000, 15000),
            validity_months=12,
            validity=_ECARD_VALIDITY,
            usable_at="Hypermarchés Carrefour, Carrefour Market, Carrefour City et Carrefour "
            "Express de France métropolitaine (hors carburant, billetterie et "
            "services)",
            conditions=_ECARD_CONDITIONS,
            partner_website="carrefour.fr",
        ),
        OfferSpec(
            "Auchan",
            "ecard",
            "groceries",
            "E-carte Auchan",
            "Carte cadeau dématérialisée Auchan, utilisable en caisse en présentant le code.",
            discount_bp=400,
            face_values=(2000, 3000, 5000, 10000),
            validity_months=12,
            validity=_ECARD_VALIDITY,
            usable_at="Hypermarchés et supermarchés Auchan en France (hors drive et stations "
            "service)",
            conditions=_ECARD_CONDITIONS,
            partner_website="auchan.fr",
        ),
        OfferSpec(
            "Monoprix",
            "ecard",
            "groceries",
            "E-carte Monoprix",
            "Montant libre : choisissez la valeur de votre e-carte à l'euro près.",
            discount_bp=500,
            min_amount_cents=1000,
            max_amount_cents=20000,
            validity_months=12,
            validity=_ECARD_VALIDITY,
            usable_at="Magasins Monoprix, monop' et Monoprix.fr",
            conditions=_ECARD_CONDITIONS,
            partner_website="monoprix.fr",
        ),
        OfferSpec(
            "Intermarché",
            "ecard",
            "groceries",
            "E-carte Intermarché",
            "E-carte cadeau pour vos courses du quotidien.",
            discount_bp=350,
            face_values=(2000, 5000, 10000),
            validity_months=12,
            validity=_ECARD_VALIDITY,
            usable_at="Magasins Intermarché Hyper, Super, Contact et Express participants",
            conditions=_ECARD_CONDITIONS,
            partner_website="intermarche.com",
        ),
        # -- Culture -----------------------------------------------------------------
        OfferSpec(
            "Fnac",
            "ecard",
            "culture",
            "E-carte Fnac",
            "Livres, musique, high-tech, billetterie : montant libre de 10 € à 500 €.",
            discount_bp=600,
            min_amount_cents=1000,
            max_amount_cents=50000,
            validity_months=12,
            validity=_ECARD_VALIDITY,
            usable_at="Magasins Fnac en France et fnac.com (hors Marketplace)",
            conditions=_ECARD_CONDITIONS,
            partner_website="fnac.com",
        ),
        OfferSpec(
            "Cultura",
            "ecard",
            "culture",
            "E-carte Cultura",
            "Loisirs créatifs, livres, jeux et musique.",
            discount_bp=700,
            face_values=(1500, 3000, 5000, 10000),
            validity_months=12,
            validity=_ECARD_VALIDITY,
            usable_at="Magasins Cultura et cultura.com",
            conditions=_ECARD_CONDITIONS,
            partner_website="cultura.com",
        ),
        # -- Cinéma ------------------------------------------------------------------
        OfferSpec(
            "Pathé",
            "eticket",
            "cinema",
            "E-billet Pathé",
            "Place de cinéma 2D, valable pour tous les films à l'affiche.",
            unit_face_value_cents=1490,
            unit_price_cents=940,
            validity_months=12,
            validity="12 mois à compter de l'achat (date indiquée sur le billet)",
            usable_at="Cinémas Pathé et Gaumont en France métropolitaine",
            conditions=_CINEMA_CONDITIONS,
            partner_website="pathe.fr",
        ),
        OfferSpec(
            "UGC",
            "eticket",
            "cinema",
            "E-billet UGC",
            "Place de cinéma, toutes séances 2D, 7 jours sur 7.",
            unit_face_value_cents=1350,
            unit_price_cents=860,
            validity_months=12,
            validity="12 mois à compter de l'achat",
            usable_at="Cinémas UGC en France (hors UGC Ciné Cité Bercy en salle IMAX)",
            conditions=_CINEMA_CONDITIONS,
            partner_website="ugc.fr",
        ),
        OfferSpec(
            "CGR Cinémas",
            "eticket",
            "cinema",
            "E-billet CGR",
            "Place de cinéma valable dans tout le réseau CGR.",
            unit_face_value_cents=1290,
            unit_price_cents=790,
            validity_months=12,
            validity="12 mois à compter de l'achat",
            usable_at="Cinémas CGR en France",
            conditions=_CINEMA_CONDITIONS,
            partner_website="cgrcinemas.fr",
        ),
        OfferSpec(
            "Kinepolis",
            "eticket",
            "cinema",
            "E-billet Kinepolis",
            "Place de cinéma 2D.",
            unit_face_value_cents=1320,
            unit_price_cents=850,
            validity_months=6,
            validity="6 mois à compter de l'achat",
            usable_at="Cinémas Kinepolis en France",
            conditions=_CINEMA_CONDITIONS,
            partner_website="kinepolis.fr",
        ),
        # -- Loisirs -----------------------------------------------------------------
        OfferSpec(
            "Parc Astérix",
            "eticket",
            "leisure",
            "Parc Astérix — billet 1 jour adulte",
            "Une journée au Parc Astérix, attractions et spectacles compris.",
            unit_face_value_cents=6400,
            unit_price_cents=4700,
            validity="Saison 2026, un jour au choix selon le calendrier d'ouverture",
            usable_at="Parc Astérix, Plailly (Oise)",
            conditions=_PARK_CONDITIONS,
            partner_website="parcasterix.fr",
        ),
        OfferSpec(
            "Futuroscope",
            "eticket",
            "leisure",
            "Futuroscope — billet 1 jour",
            "Une journée au Futuroscope, spectacle nocturne inclus les soirs d'ouverture.",
            unit_face_value_cents=5900,
            unit_price_cents=4450,
            validity="Saison 2026, un jour au choix selon le calendrier d'ouverture",
            usable_at="Futuroscope, Chasseneuil-du-Poitou (Vienne)",
            conditions=_PARK_CONDITIONS,
            partner_website="futuroscope.com",
        ),
        OfferSpec(
            "Puy du Fou",
            "eticket",
            "leisure",
            "Puy du Fou — Grand Parc 1 jour adulte",
            "Grands spectacles et villages d'époque.",
            unit_face_value_cents=4900,
            unit_price_cents=3900,
            validity="Saison 2026, un jour au choix selon le calendrier d'ouverture",
            usable_at="Puy du Fou, Les Epesses (Vendée)",
            conditions=_PARK_CONDITIONS,
            partner_website="puydufou.com",
        ),
        OfferSpec(
            "Disneyland Paris",
            "eticket",
            "leisure",
            "Disneyland Paris — billet 1 jour 1 parc",
            "Billet daté 1 jour pour le parc Disneyland ou le parc Walt Disney Studios.",
            unit_face_value_cents=10500,
            unit_price_cents=7900,
            validity="Jusqu'au 31 décembre 2026, date à réserver en ligne",
            usable_at="Disneyland Paris, Marne-la-Vallée (Seine-et-Marne)",
            conditions=_PARK_CONDITIONS,
            partner_website="disneylandparis.com",
        ),
        OfferSpec(
            "Smartbox",
            "product",
            "leisure",
            "Coffret Smartbox « Séjour gourmand »",
            "Coffret cadeau physique : une nuit avec petit-déjeuner et dîner pour deux.",
            unit_face_value_cents=12990,
            unit_price_cents=10990,
            shipping=True,
            validity="Valable 3 ans, échange gratuit et illimité",
            usable_at="Plus de 400 hôtels et maisons d'hôtes en France",
            conditions=_PARCEL + " Livraison offerte.",
            partner_website="smartbox.com",
        ),
        # -- Sport -------------------------------------------------------------------
        OfferSpec(
            "Decathlon",
            "ecard",
            "sport",
            "E-carte Decathlon",
            "Équipement sportif pour toute la famille.",
            discount_bp=500,
            face_values=(2500, 5000, 10000, 15000),
            validity_months=12,
            validity=_ECARD_VALIDITY,
            usable_at="Magasins Decathlon en France et decathlon.fr (hors location et occasion)",
            conditions=_ECARD_CONDITIONS,
            partner_website="decathlon.fr",
        ),
        OfferSpec(
            "Intersport",
            "ecard",
            "sport",
            "E-carte Intersport",
            "Montant libre de 20 € à 300 €.",
            discount_bp=800,
            min_amount_cents=2000,
            max_amount_cents=30000,
            validity_months=12,
            validity=_ECARD_VALIDITY,
            usable_at="Magasins Intersport participants en France",
            conditions=_ECARD_CONDITIONS,
            partner_website="intersport.fr",
        ),
        OfferSpec(
            "Decathlon",
            "product",
            "sport",
            "Gourde isotherme Quechua 0,5 L",
            "Gourde inox double paroi, garde au frais 20 h et au chaud 10 h.",
            unit_face_value_cents=1500,
            unit_price_cents=1250,
            shipping=True,
            shipping_cents=490,
            conditions=_PARCEL,
        ),
        # -- Maison ------------------------------------------------------------------
        OfferSpec(
            "IKEA",
            "ecard",
            "home",
            "E-carte IKEA",
            "Mobilier, décoration et restauration IKEA.",
            discount_bp=500,
            face_values=(2500, 5000, 10000, 15000),
            validity_months=36,
            validity="3 ans à compter de la date d'émission",
            usable_at="Magasins IKEA en France et ikea.com/fr (hors services de livraison)",
            conditions=_ECARD_CONDITIONS,
            partner_website="ikea.com",
        ),
        OfferSpec(
            "Leroy Merlin",
            "ecard",
            "home",
            "E-carte Leroy Merlin",
            "Bricolage, jardin et rénovation, montant libre de 20 € à 500 €.",
            discount_bp=400,
            min_amount_cents=2000,
            max_amount_cents=50000,
            validity_months=12,
            validity=_ECARD_VALIDITY,
            usable_at="Magasins Leroy Merlin en France et leroymerlin.fr",
            conditions=_ECARD_CONDITIONS,
            partner_website="leroymerlin.fr",
        ),
        OfferSpec(
            "Bodum",
            "product",
            "home",
            "Cafetière à piston Bodum Chambord 1 L",
            "Cafetière 8 tasses, verre borosilicate et inox.",
            unit_face_value_cents=4490,
            unit_price_cents=3490,
            shipping=True,
            shipping_cents=490,
            conditions=_PARCEL,
            partner_website="bodum.com",
        ),
    ]


def _negotiated(orgs: dict[str, int]) -> list[OfferSpec]:
    """Offers one CSE negotiated for its own members only."""
    return [
        OfferSpec(
            "Parc Astérix",
            "eticket",
            "leisure",
            DEMO_ONLY_TITLE,
            "Tarif négocié par votre CSE : billet 1 jour adulte.",
            unit_face_value_cents=6400,
            unit_price_cents=3900,
            validity="Saison 2026, un jour au choix selon le calendrier d'ouverture",
            usable_at="Parc Astérix, Plailly (Oise)",
            conditions=_PARK_CONDITIONS,
            organization_ids=(orgs[demo.DEMO_ORG],),
        ),
        OfferSpec(
            "Futuroscope",
            "eticket",
            "leisure",
            HORIZON_ONLY_TITLE,
            "Tarif négocié par votre CSE : billet 1 jour.",
            unit_face_value_cents=5900,
            unit_price_cents=3500,
            validity="Saison 2026, un jour au choix selon le calendrier d'ouverture",
            usable_at="Futuroscope, Chasseneuil-du-Poitou (Vienne)",
            conditions=_PARK_CONDITIONS,
            organization_ids=(orgs[demo.OTHER_ORG],),
        ),
    ]


def seed_catalog(db: Database, orgs: dict[str, int], ids: dict[str, int]) -> None:
    """Fill the catalog with the demo offers (called inside the demo transaction)."""
    for spec in [*_catalog(), *_negotiated(orgs)]:
        create_offer(db, spec)


if seed_catalog not in demo.DEMO_SEEDERS:
    demo.DEMO_SEEDERS.append(seed_catalog)
