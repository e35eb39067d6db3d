"""Every sentence the Telegram bot writes, in English and French: one catalog, looked up by key.

:func:`say` picks the chat's language (anything but French reads English) and fills ``{named}`` fields. The
texts are plain (sent without ``parse_mode``), so nothing a user typed can turn into markup. Keep the two
languages' keys identical: tests/bot/test_phrases.py checks it.
"""

from __future__ import annotations

from typing import Final

from drawwatch.notify.phrases import text_language

CATALOG: Final[dict[str, dict[str, str]]] = {
    "en": {
        "welcome": (
            "Hello! I send you an alert when an Express Entry round of invitations has a cut-off at or below "
            "your CRS score, in the categories you can be invited in.\n\n"
            "Start with your score: /crs 480 (or /profile to compute it), then your categories: "
            "/categories stem cec.\n\n"
            "Privacy: I store this chat's id, your language and the settings you give me (and my answers, "
            "for two days), nothing else: no name, no phone number. /stop pauses the alerts, /delete "
            "erases everything."
        ),
        "welcome_back": "Welcome back: alerts are on again. /status shows your settings.",
        "choose_language": "Language: English or French? (/start fr for French)",
        "language_set": "I will write to you in English.",
        "help": (
            "Commands:\n"
            "/crs 480 – your CRS score\n"
            "/profile – compute your score step by step\n"
            "/categories stem cec – the round categories you can be invited in (or buttons)\n"
            "/noc 21231 14 – an occupation (NOC 2021 code) and months of experience\n"
            "/quiet 22:00-07:00 America/Toronto – hours without alerts (/quiet off)\n"
            "/status – your settings and the latest rounds\n"
            "/backtest – the last rounds: would they have invited you?\n"
            "/stop – pause alerts · /delete – erase everything · /start fr – en français"
        ),
        "too_long": "That message is too long. /help lists the commands.",
        "unknown_command": "I don't know that command. /help lists the commands.",
        "not_a_command": "Send a command, such as /crs 480. /help lists them.",
        "private_only": "I only work in a private chat with you.",
        "slow_down": "Too many messages: wait a minute, then try again.",
        "start_first": "Send /start first.",
        "crs_first": "Give your score first: /crs 480.",
        "usage_crs": "Usage: /crs 480 (a whole number from 0 to {max_crs}).",
        "crs_saved": "Saved: CRS {crs}. Alerts are on for rounds with a cut-off at or below {crs}.",
        "crs_saved_stopped": "Saved: CRS {crs}. Alerts are paused (/start turns them on).",
        "usage_categories": "Usage: /categories stem cec (known: {known}), or /categories none.",
        "categories_pick": "Tap the categories you can be invited in (general rounds always count):",
        "categories_saved": "Saved categories: {categories}.",
        "categories_none": "no category (general rounds only)",
        "done": "Done",
        "usage_noc": "Usage: /noc 21231 14 (a 5-digit NOC 2021 code and months of experience), or /noc none.",
        "noc_unknown": "{code} is on no category list. Usage: /noc 21231 14.",
        "noc_saved": "Saved occupations: {occupations}. Categories they qualify for: {categories}.",
        "noc_cleared": "Occupations removed.",
        "usage_quiet": "Usage: /quiet 22:00-07:00 America/Toronto (local time, IANA time zone), or /quiet off.",
        "quiet_saved": "Quiet hours: {span} ({zone}). Alerts wait until they end.",
        "quiet_off": "Quiet hours off.",
        "status": (
            "Alerts: {state}\nCRS: {crs}\nCategories: {categories}\nOccupations: {occupations}\n"
            "Quiet hours: {quiet}\nLanguage: English"
        ),
        "state_on": "on",
        "state_paused": "paused (/start)",
        "none": "none",
        "latest_rounds": "Latest rounds:",
        "no_rounds": "No round stored yet.",
        "verdict_yes": "#{number} {date} {category} cut-off {cutoff}: yes ({margin:+d})",
        "verdict_no_score": "#{number} {date} {category} cut-off {cutoff}: no, {gap} below",
        "verdict_no_category": "#{number} {date} {category} cut-off {cutoff}: no, not your category",
        "backtest_head": "The last {count} rounds with your settings:",
        "stopped": "Alerts paused. /start turns them back on; /delete erases everything.",
        "not_subscribed": "You have no alerts to pause.",
        "delete_confirm": "Erase everything stored about this chat? This cannot be undone.",
        "delete_yes": "Yes, erase",
        "delete_no": "No",
        "deleted": "Everything about this chat is erased. /start to begin again.",
        "delete_kept": "Nothing was erased.",
        "nothing_stored": "Nothing is stored about this chat.",
        "profile_age": "CRS calculator, step 1 of 6: how old are you? Send a number, e.g. 29.",
        "profile_education": "Step 2 of 6: your highest education?",
        "profile_language": "Step 3 of 6: your English level (CLB, the lowest of the four abilities)?",
        "profile_canadian": "Step 4 of 6: years of skilled work experience in Canada?",
        "profile_foreign": "Step 5 of 6: years of skilled work experience outside Canada?",
        "profile_spouse": "Step 6 of 6: does a spouse or partner come with you to Canada?",
        "profile_spouse_note": "(with a partner, save the full profile on the web site; I score you as single)",
        "profile_bad_age": "Send your age as a number from 17 to 99, or /cancel.",
        "profile_done": "Your CRS score today: {crs} (saved; alerts use it). {note}",
        "profile_cancelled": "Calculator stopped; nothing saved.",
        "yes": "Yes",
        "no": "No",
        "edu_less_than_secondary": "Less than secondary",
        "edu_secondary": "Secondary school",
        "edu_one_year": "One-year diploma",
        "edu_two_year": "Two-year diploma",
        "edu_bachelors": "Bachelor's (3+ years)",
        "edu_two_or_more": "Two or more credentials",
        "edu_masters": "Master's",
        "edu_doctoral": "Doctorate",
        "stale_button": "This button is no longer valid.",
    },
    "fr": {
        "welcome": (
            "Bonjour ! Je vous envoie une alerte quand une ronde d’invitations d’Entrée express a une note "
            "limite égale ou inférieure à votre score SCG, dans les catégories où vous pouvez être invité.\n\n"
            "Commencez par votre score : /crs 480 (ou /profile pour le calculer), puis vos catégories : "
            "/categories stem cec.\n\n"
            "Confidentialité : je garde l’identifiant de cette conversation, votre langue et les réglages que "
            "vous me donnez (et mes réponses, deux jours), rien d’autre : ni nom ni numéro. /stop suspend "
            "les alertes, /delete efface tout."
        ),
        "welcome_back": "Bon retour : les alertes reprennent. /status affiche vos réglages.",
        "choose_language": "Langue : français ou anglais ? (/start en pour l’anglais)",
        "language_set": "Je vous écrirai en français.",
        "help": (
            "Commandes :\n"
            "/crs 480 – votre score SCG\n"
            "/profile – calculer votre score pas à pas\n"
            "/categories stem cec – les catégories de rondes où vous pouvez être invité (ou les boutons)\n"
            "/noc 21231 14 – une profession (code CNP 2021) et vos mois d’expérience\n"
            "/quiet 22:00-07:00 America/Toronto – les heures sans alerte (/quiet off)\n"
            "/status – vos réglages et les dernières rondes\n"
            "/backtest – les dernières rondes : auriez-vous été invité ?\n"
            "/stop – suspendre · /delete – tout effacer · /start en – in English"
        ),
        "too_long": "Ce message est trop long. /help donne la liste des commandes.",
        "unknown_command": "Je ne connais pas cette commande. /help donne la liste des commandes.",
        "not_a_command": "Envoyez une commande, par exemple /crs 480. /help les énumère.",
        "private_only": "Je ne fonctionne que dans une conversation privée avec vous.",
        "slow_down": "Trop de messages : attendez une minute, puis réessayez.",
        "start_first": "Envoyez d’abord /start.",
        "crs_first": "Donnez d’abord votre score : /crs 480.",
        "usage_crs": "Utilisation : /crs 480 (un nombre entier de 0 à {max_crs}).",
        "crs_saved": (
            "Enregistré : SCG {crs}. Alertes activées pour les rondes dont la note limite est de {crs} ou moins."
        ),
        "crs_saved_stopped": "Enregistré : SCG {crs}. Les alertes sont suspendues (/start les réactive).",
        "usage_categories": "Utilisation : /categories stem cec (connues : {known}), ou /categories none.",
        "categories_pick": (
            "Touchez les catégories où vous pouvez être invité (les rondes générales comptent toujours) :"
        ),
        "categories_saved": "Catégories enregistrées : {categories}.",
        "categories_none": "aucune catégorie (rondes générales seulement)",
        "done": "Terminé",
        "usage_noc": (
            "Utilisation : /noc 21231 14 (un code CNP 2021 à 5 chiffres et des mois d’expérience), ou /noc none."
        ),
        "noc_unknown": "{code} ne figure sur aucune liste de catégorie. Utilisation : /noc 21231 14.",
        "noc_saved": "Professions enregistrées : {occupations}. Catégories ouvertes : {categories}.",
        "noc_cleared": "Professions retirées.",
        "usage_quiet": "Utilisation : /quiet 22:00-07:00 America/Toronto (heure locale, fuseau IANA), ou /quiet off.",
        "quiet_saved": "Heures calmes : {span} ({zone}). Les alertes attendent la fin.",
        "quiet_off": "Heures calmes désactivées.",
        "status": (
            "Alertes : {state}\nSCG : {crs}\nCatégories : {categories}\nProfessions : {occupations}\n"
            "Heures calmes : {quiet}\nLangue : français"
        ),
        "state_on": "activées",
        "state_paused": "suspendues (/start)",
        "none": "aucune",
        "latest_rounds": "Dernières rondes :",
        "no_rounds": "Aucune ronde enregistrée pour l’instant.",
        "verdict_yes": "no {number} {date} {category} note limite {cutoff} : oui ({margin:+d})",
        "verdict_no_score": "no {number} {date} {category} note limite {cutoff} : non, {gap} de moins",
        "verdict_no_category": "no {number} {date} {category} note limite {cutoff} : non, pas votre catégorie",
        "backtest_head": "Les {count} dernières rondes avec vos réglages :",
        "stopped": "Alertes suspendues. /start les réactive ; /delete efface tout.",
        "not_subscribed": "Vous n’avez pas d’alertes à suspendre.",
        "delete_confirm": "Effacer tout ce qui est enregistré sur cette conversation ? C’est définitif.",
        "delete_yes": "Oui, effacer",
        "delete_no": "Non",
        "deleted": "Tout ce qui concerne cette conversation est effacé. /start pour recommencer.",
        "delete_kept": "Rien n’a été effacé.",
        "nothing_stored": "Rien n’est enregistré sur cette conversation.",
        "profile_age": "Calculateur SCG, étape 1 sur 6 : quel âge avez-vous ? Envoyez un nombre, p. ex. 29.",
        "profile_education": "Étape 2 sur 6 : votre plus haut niveau d’études ?",
        "profile_language": "Étape 3 sur 6 : votre niveau d’anglais (NCLC, la plus faible des quatre habiletés) ?",
        "profile_canadian": "Étape 4 sur 6 : années d’expérience de travail qualifié au Canada ?",
        "profile_foreign": "Étape 5 sur 6 : années d’expérience de travail qualifié hors du Canada ?",
        "profile_spouse": "Étape 6 sur 6 : un époux ou conjoint vous accompagne-t-il au Canada ?",
        "profile_spouse_note": "(avec un conjoint, enregistrez le profil complet sur le site ; je vous compte seul)",
        "profile_bad_age": "Envoyez votre âge, un nombre de 17 à 99, ou /cancel.",
        "profile_done": "Votre score SCG aujourd’hui : {crs} (enregistré ; les alertes l’utilisent). {note}",
        "profile_cancelled": "Calculateur arrêté ; rien n’est enregistré.",
        "yes": "Oui",
        "no": "Non",
        "edu_less_than_secondary": "Moins que le secondaire",
        "edu_secondary": "Diplôme d’études secondaires",
        "edu_one_year": "Diplôme d’un an",
        "edu_two_year": "Diplôme de deux ans",
        "edu_bachelors": "Baccalauréat (3 ans ou plus)",
        "edu_two_or_more": "Deux diplômes ou plus",
        "edu_masters": "Maîtrise",
        "edu_doctoral": "Doctorat",
        "stale_button": "Ce bouton n’est plus valide.",
    },
}


def language_of(value: str | None) -> str:
    """The catalog language for a stored or Telegram ``language_code`` ("fr-CA" → "fr", "de" → "en")."""
    language = text_language(value)
    return language if language in CATALOG else "en"


def say(key: str, language: str | None, **fields: object) -> str:
    """The sentence ``key`` in ``language`` with ``fields`` filled in."""
    text = CATALOG[language_of(language)][key]
    return text.format(**fields) if fields else text


__all__ = ["CATALOG", "language_of", "say"]
