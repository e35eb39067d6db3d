"""The sign-up site's words, in English and French: one catalog, so every page template stays one file.

Templates call ``t("key")`` (``t("key", n=3)`` fills ``{n}``). A key missing in French falls back to English;
a key missing everywhere raises (a typo must fail the tests, not show a blank). Operators who want other words
override a page template (``web/signup.html.j2``, or ``web/fr/signup.html.j2`` for one language) through
``DRAWWATCH_TEMPLATES_DIR``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

LANGUAGES: Final = ("en", "fr")
DEFAULT_LANGUAGE: Final = "en"

EN: Final[dict[str, str]] = {
    "site.name": "drawwatch",
    "site.tagline": "Express Entry round alerts",
    "nav.signup": "Sign up",
    "nav.privacy": "Privacy",
    "nav.other_language": "Français",
    "footer.text": "Alerts about Canada's Express Entry rounds of invitations. Not affiliated with IRCC.",
    # sign-up form
    "signup.title": "Get an alert when a round's cut-off is at or below your score",
    "signup.intro": "Enter your e-mail address and your CRS score (or work it out with the calculator below). "
    "We send one e-mail to confirm the address; nothing else is sent until you confirm.",
    "signup.email": "E-mail address",
    "signup.email_hint": "We send the confirmation and the alerts here.",
    "signup.language": "Language of the alerts and pages",
    "signup.mode": "Your score",
    "signup.mode_crs": "I know my CRS score",
    "signup.mode_profile": "Work it out with the calculator",
    "signup.crs": "CRS score",
    "signup.crs_hint": "A whole number from 0 to 1200, as shown in your Express Entry profile.",
    "signup.submit": "Sign up",
    "signup.calculate": "Calculate my score",
    "signup.errors": "Please correct the following:",
    "signup.website": "Leave this field empty",
    # calculator
    "calc.title": "CRS calculator",
    "calc.hint": "Used when you choose the calculator above. Your answers are stored so your score follows "
    "your birthdays, the two-year validity of language results and IRCC's rule changes.",
    "calc.age": "Age",
    "calc.birth_date": "or birth date",
    "calc.age_hint": "Give your age or your birth date (the birth date keeps the score right as you age).",
    "calc.spouse_status": "Spouse or common-law partner",
    "calc.spouse.none": "None",
    "calc.spouse.accompanying": "Coming with me to Canada",
    "calc.spouse.not_accompanying": "Not coming with me",
    "calc.spouse.canadian_citizen_or_pr": "Canadian citizen or permanent resident",
    "calc.education": "Education",
    "calc.edu.less_than_secondary": "Less than secondary school",
    "calc.edu.secondary": "Secondary school diploma",
    "calc.edu.one_year": "One-year post-secondary program",
    "calc.edu.two_year": "Two-year post-secondary program",
    "calc.edu.bachelors": "Bachelor's degree (3+ years)",
    "calc.edu.two_or_more": "Two or more credentials, one of 3+ years",
    "calc.edu.masters": "Master's degree or professional degree",
    "calc.edu.doctoral": "Doctoral degree (PhD)",
    "calc.first_language": "First official language: test and scores",
    "calc.second_language": "Second official language (optional)",
    "calc.test": "Test",
    "calc.test.none": "None",
    "calc.test.ielts": "IELTS General Training",
    "calc.test.celpip": "CELPIP-General",
    "calc.test.pte": "PTE Core",
    "calc.test.tef": "TEF Canada",
    "calc.test.tef_legacy": "TEF Canada (older scale)",
    "calc.test.tcf": "TCF Canada",
    "calc.test.clb": "CLB levels (English)",
    "calc.test.nclc": "NCLC levels (French)",
    "calc.listening": "Listening",
    "calc.reading": "Reading",
    "calc.writing": "Writing",
    "calc.speaking": "Speaking",
    "calc.test_date": "Test date",
    "calc.canadian_work_years": "Years of skilled work in Canada",
    "calc.foreign_work_years": "Years of skilled work outside Canada",
    "calc.certificate": "Certificate of qualification in a trade (from a province or territory)",
    "calc.canadian_education": "Education in Canada",
    "calc.cedu.none": "None",
    "calc.cedu.one_or_two_year": "One- or two-year credential",
    "calc.cedu.three_plus_year": "Credential of three years or more",
    "calc.sibling": "Brother or sister in Canada (citizen or permanent resident)",
    "calc.nomination": "Provincial or territorial nomination",
    "calc.job_offer": "Job offer",
    "calc.job.none": "None",
    "calc.job.teer0_major_group_00": "TEER 0, major group 00",
    "calc.job.other_qualifying": "Other qualifying offer",
    "calc.spouse": "Spouse or partner coming with you",
    "calc.spouse_education": "Their education",
    "calc.spouse_language": "Their language test",
    "calc.spouse_work": "Their years of skilled work in Canada",
    "calc.result": "Your score: {total}",
    "calc.rules": "Rule set {rules}, on {on}.",
    "calc.section.core": "Core: age, education, languages, Canadian work",
    "calc.section.spouse": "Spouse factors",
    "calc.section.transferability": "Skill transferability",
    "calc.section.additional": "Additional points",
    "calc.subtotal": "Subtotal",
    "calc.problem": "The calculator could not score this profile: {problem}",
    # categories, occupations, quiet hours
    "prefs.title": "Which rounds",
    "prefs.categories": "Round types you can be invited in",
    "prefs.categories_hint": "General rounds always count. Tick the category-based rounds and programs that "
    "apply to you.",
    "prefs.noc": "Occupations (optional)",
    "prefs.noc_hint": "A NOC 2021 code (5 digits) and months of experience: the category rounds it makes you "
    "eligible for are added for you.",
    "prefs.noc_code": "NOC code",
    "prefs.months": "Months",
    "prefs.reminders": "Reminders (optional)",
    "prefs.reminders_label": "Remind me a week ahead",
    "prefs.reminders_hint": "With the calculator: a week before a birthday lowers your score (give your birth "
    "date) and before a language result turns two years old (give its test date).",
    "prefs.quiet": "Quiet hours (optional)",
    "prefs.quiet_hint": "Alerts that come in this span wait until it ends, in your time zone.",
    "prefs.quiet_from": "From",
    "prefs.quiet_to": "To",
    "prefs.timezone": "Time zone",
    "prefs.timezone_hint": "An IANA name such as America/Toronto or Europe/Paris.",
    # field messages
    "error.field": "{field}: {problem}",
    "error.whole_number": "must be a whole number",
    "error.number": "must be a number",
    "error.date": "must be a date (YYYY-MM-DD)",
    "error.time": "must be a time (HH:MM)",
    "error.too_long": "is too long (at most {n} characters)",
    "error.quiet_both": "give both times, or neither",
    "error.noc_months": "give the months with the code",
    "error.language": "choose English or French",
    "error.choice": "choose one of the options",
    "error.mode": "choose how to give your score",
    "error.csrf": "This form has expired or did not come from this site. Reload the page and send it again.",
    "error.too_large": "That request was too large.",
    "error.not_found": "There is no page here.",
    "error.method": "This page does not take that request.",
    "error.server": "Something went wrong on our side. Please try again later.",
    # pages after the form
    "sent.title": "Check your inbox",
    "sent.body": "If the address can receive alerts, we have sent it an e-mail with a link. Open the link to "
    "confirm your sign-up; it works for {hours} hours. Nothing else is sent to the address until then.",
    "sent.spam": "No mail after a few minutes? Look in your spam folder, or sign up again later.",
    "limited.title": "Too many attempts",
    "limited.body": "There have been too many attempts from your connection or for this address. Please wait "
    "an hour and try again.",
    "link.invalid.title": "This link does not work",
    "link.invalid.body": "The link is damaged or was not made by this site. Copy the whole link from the "
    "e-mail, or sign up again.",
    "link.expired.title": "This link has expired",
    "link.expired.body": "Sign up again with the same address to get a fresh link.",
    "link.gone.title": "Nothing stored any more",
    "link.gone.body": "This subscription no longer exists (it was deleted, or never confirmed in time).",
    "confirm.title": "Confirm your sign-up",
    "confirm.body": "Press the button to confirm that you want alerts at this address.",
    "confirm.button": "Confirm my sign-up",
    # manage
    "manage.title": "Your alerts",
    "manage.status.active": "Alerts are on: you get an alert when a round's cut-off is at or below your score.",
    "manage.status.unconfirmed": "Not confirmed yet: confirm your address from the e-mail we sent.",
    "manage.status.inactive": "Alerts are off: you unsubscribed.",
    "manage.address": "Address: {email}",
    "manage.score": "Stored score: {crs}",
    "manage.score_profile": "Stored score: {crs}, from your profile on {on} (rule set {rules}).",
    "manage.settings": "Your settings",
    "manage.save": "Save my settings",
    "manage.saved": "Your settings are saved.",
    "manage.backtest": "Past rounds: would you have been alerted?",
    "manage.backtest_hint": "The last {n} rounds, judged with your settings as they are now.",
    "manage.backtest_none": "No rounds are stored yet.",
    "manage.col.round": "Round",
    "manage.col.date": "Date",
    "manage.col.category": "Type",
    "manage.col.cutoff": "Cut-off",
    "manage.col.score": "Your score",
    "manage.col.alert": "Alert?",
    "manage.col.why": "Why",
    "manage.yes": "yes",
    "manage.no": "no",
    "manage.data": "Your data",
    "manage.download": "Download everything stored about you (JSON)",
    "manage.unsubscribe": "Stop alerts",
    "manage.unsubscribe_button": "Unsubscribe",
    "manage.resubscribe_button": "Turn alerts back on",
    "manage.unsubscribed": "You are unsubscribed: no further alerts are sent.",
    "manage.resubscribed": "Alerts are on again.",
    "manage.delete": "Delete my data",
    "manage.delete_hint": "Deletes your sign-up, settings and alert history at once. This cannot be undone.",
    "manage.delete_check": "Yes, delete everything",
    "manage.delete_button": "Delete my data",
    "manage.delete_unchecked": "Tick the box to confirm the deletion.",
    "why.general": "general round: open to every category",
    "why.category": "eligible via {category}",
    "why.not_category": "not eligible for {category}",
    "why.above": "{n} points above the cut-off",
    "why.below": "below the cut-off by {n}",
    "why.tie_invited": "at the cut-off: submitted before the tie-break",
    "why.tie_unknown": "at the cut-off: depends on the tie-break",
    "why.tie_late": "at the cut-off but submitted after the tie-break",
    "why.inactive": "alerts were off",
    "why.later": "you signed up after this round",
    # unsubscribe, delete
    "unsubscribe.title": "Unsubscribe",
    "unsubscribe.body": "Press the button to stop all alerts to this address.",
    "unsubscribe.button": "Unsubscribe",
    "unsubscribed.title": "You are unsubscribed",
    "unsubscribed.body": "No further alerts are sent. Your settings are kept until you delete them.",
    "unsubscribed.manage": "Manage or delete your data",
    "deleted.title": "Your data is deleted",
    "deleted.body": "Your sign-up, settings and alert history are gone. You can sign up again at any time.",
    # privacy
    "privacy.title": "Privacy",
    "privacy.what": "What is stored",
    "privacy.what_body": "Your e-mail address; the settings you give (CRS score or calculator answers, round "
    "types, occupations, quiet hours, time zone, language); when you signed up and confirmed; and the alerts "
    "sent to you (which round, when, whether it arrived).",
    "privacy.why": "Why",
    "privacy.why_body": "Only to send you the alerts you asked for. Nothing is sold or shared; the mail "
    "provider of this site carries the e-mails.",
    "privacy.how_long": "How long",
    "privacy.how_long_body": "An unconfirmed sign-up is deleted after {hours} hours. A confirmed one is kept "
    "until you delete it from your manage page (a link is in every alert); unsubscribing stops the alerts "
    "and keeps the settings so you can turn them back on.",
    "privacy.logs": "Logs and limits",
    "privacy.logs_body": "The site keeps no access log with addresses or links. To stop abuse it counts "
    "attempts per connection and per address for an hour, in memory only, with the address hashed.",
    "privacy.cookies": "Cookies",
    "privacy.cookies_body": "One cookie protects the forms against cross-site requests; it holds a random "
    "value and nothing about you.",
    # mails
    "mail.confirm.subject": "Confirm your Express Entry round alerts",
    "mail.confirm.body": "Someone, probably you, signed up for Express Entry round alerts with this address. "
    "To confirm, open this link within {hours} hours:",
    "mail.confirm.ignore": "If it was not you, ignore this e-mail: nothing more is sent to this address and "
    "the sign-up is deleted.",
    "mail.known.subject": "Your Express Entry round alerts",
    "mail.known.body": "Someone, probably you, asked to sign up with this address, which is signed up "
    "already. To see or change your settings, open this link:",
    "mail.known.ignore": "If it was not you, ignore this e-mail: nothing was changed.",
}

FR: Final[dict[str, str]] = {
    "site.tagline": "Alertes des rondes d'Entrée express",
    "nav.signup": "Inscription",
    "nav.privacy": "Confidentialité",
    "nav.other_language": "English",
    "footer.text": "Alertes sur les rondes d'invitations d'Entrée express du Canada. Sans lien avec IRCC.",
    "signup.title": "Recevez une alerte quand la note de passage d'une ronde est égale ou inférieure à votre score",
    "signup.intro": "Indiquez votre adresse courriel et votre score SCG (ou calculez-le ci-dessous). Nous "
    "envoyons un seul courriel pour confirmer l'adresse ; rien d'autre n'est envoyé avant votre confirmation.",
    "signup.email": "Adresse courriel",
    "signup.email_hint": "La confirmation et les alertes arrivent ici.",
    "signup.language": "Langue des alertes et des pages",
    "signup.mode": "Votre score",
    "signup.mode_crs": "Je connais mon score SCG",
    "signup.mode_profile": "Le calculer avec le calculateur",
    "signup.crs": "Score SCG",
    "signup.crs_hint": "Un nombre entier de 0 à 1200, comme dans votre profil Entrée express.",
    "signup.submit": "M'inscrire",
    "signup.calculate": "Calculer mon score",
    "signup.errors": "Veuillez corriger ce qui suit :",
    "signup.website": "Laissez ce champ vide",
    "calc.title": "Calculateur SCG",
    "calc.hint": "Utilisé si vous choisissez le calculateur ci-dessus. Vos réponses sont conservées pour que "
    "votre score suive vos anniversaires, la validité de deux ans des tests de langue et les changements "
    "de règles d'IRCC.",
    "calc.age": "Âge",
    "calc.birth_date": "ou date de naissance",
    "calc.age_hint": "Donnez votre âge ou votre date de naissance (la date garde le score juste avec les "
    "années).",
    "calc.spouse_status": "Époux, épouse ou conjoint de fait",
    "calc.spouse.none": "Aucun",
    "calc.spouse.accompanying": "M'accompagne au Canada",
    "calc.spouse.not_accompanying": "Ne m'accompagne pas",
    "calc.spouse.canadian_citizen_or_pr": "Citoyen canadien ou résident permanent",
    "calc.education": "Études",
    "calc.edu.less_than_secondary": "Moins qu'un diplôme d'études secondaires",
    "calc.edu.secondary": "Diplôme d'études secondaires",
    "calc.edu.one_year": "Programme postsecondaire d'un an",
    "calc.edu.two_year": "Programme postsecondaire de deux ans",
    "calc.edu.bachelors": "Baccalauréat (3 ans ou plus)",
    "calc.edu.two_or_more": "Deux diplômes ou plus, dont un de 3 ans ou plus",
    "calc.edu.masters": "Maîtrise ou diplôme professionnel",
    "calc.edu.doctoral": "Doctorat (PhD)",
    "calc.first_language": "Première langue officielle : test et résultats",
    "calc.second_language": "Seconde langue officielle (facultatif)",
    "calc.test": "Test",
    "calc.test.none": "Aucun",
    "calc.test.tef_legacy": "TEF Canada (ancienne échelle)",
    "calc.test.clb": "Niveaux CLB (anglais)",
    "calc.test.nclc": "Niveaux NCLC (français)",
    "calc.listening": "Compréhension de l'oral",
    "calc.reading": "Compréhension de l'écrit",
    "calc.writing": "Expression écrite",
    "calc.speaking": "Expression orale",
    "calc.test_date": "Date du test",
    "calc.canadian_work_years": "Années de travail qualifié au Canada",
    "calc.foreign_work_years": "Années de travail qualifié hors du Canada",
    "calc.certificate": "Certificat de compétence dans un métier (d'une province ou d'un territoire)",
    "calc.canadian_education": "Études au Canada",
    "calc.cedu.none": "Aucune",
    "calc.cedu.one_or_two_year": "Diplôme d'un ou deux ans",
    "calc.cedu.three_plus_year": "Diplôme de trois ans ou plus",
    "calc.sibling": "Frère ou sœur au Canada (citoyen ou résident permanent)",
    "calc.nomination": "Désignation d'une province ou d'un territoire",
    "calc.job_offer": "Offre d'emploi",
    "calc.job.none": "Aucune",
    "calc.job.teer0_major_group_00": "FEER 0, grand groupe 00",
    "calc.job.other_qualifying": "Autre offre admissible",
    "calc.spouse": "Époux ou conjoint qui vous accompagne",
    "calc.spouse_education": "Ses études",
    "calc.spouse_language": "Son test de langue",
    "calc.spouse_work": "Ses années de travail qualifié au Canada",
    "calc.result": "Votre score : {total}",
    "calc.rules": "Règles {rules}, au {on}.",
    "calc.section.core": "Facteurs de base : âge, études, langues, travail au Canada",
    "calc.section.spouse": "Facteurs de l'époux ou du conjoint",
    "calc.section.transferability": "Transférabilité des compétences",
    "calc.section.additional": "Points supplémentaires",
    "calc.subtotal": "Sous-total",
    "calc.problem": "Le calculateur ne peut pas calculer ce profil : {problem}",
    "prefs.title": "Quelles rondes",
    "prefs.categories": "Types de rondes auxquels vous pouvez être invité",
    "prefs.categories_hint": "Les rondes générales comptent toujours. Cochez les rondes par catégorie et les "
    "programmes qui vous concernent.",
    "prefs.noc": "Professions (facultatif)",
    "prefs.noc_hint": "Un code CNP 2021 (5 chiffres) et vos mois d'expérience : les rondes par catégorie "
    "auxquelles il vous rend admissible sont ajoutées pour vous.",
    "prefs.noc_code": "Code CNP",
    "prefs.months": "Mois",
    "prefs.reminders": "Rappels (facultatif)",
    "prefs.reminders_label": "Me prévenir une semaine à l’avance",
    "prefs.reminders_hint": "Avec le calculateur : une semaine avant qu’un anniversaire ne fasse baisser votre "
    "score (indiquez votre date de naissance) et avant qu’un résultat de test linguistique n’ait deux ans "
    "(indiquez la date du test).",
    "prefs.quiet": "Heures calmes (facultatif)",
    "prefs.quiet_hint": "Les alertes qui arrivent pendant cette plage attendent sa fin, dans votre fuseau "
    "horaire.",
    "prefs.quiet_from": "De",
    "prefs.quiet_to": "À",
    "prefs.timezone": "Fuseau horaire",
    "prefs.timezone_hint": "Un nom IANA comme America/Toronto ou Europe/Paris.",
    "error.field": "{field} : {problem}",
    "error.whole_number": "doit être un nombre entier",
    "error.number": "doit être un nombre",
    "error.date": "doit être une date (AAAA-MM-JJ)",
    "error.time": "doit être une heure (HH:MM)",
    "error.too_long": "est trop long (au plus {n} caractères)",
    "error.quiet_both": "donnez les deux heures, ou aucune",
    "error.noc_months": "donnez les mois avec le code",
    "error.language": "choisissez l'anglais ou le français",
    "error.choice": "choisissez une des options",
    "error.mode": "choisissez comment donner votre score",
    "error.csrf": "Ce formulaire a expiré ou ne vient pas de ce site. Rechargez la page et envoyez-le de "
    "nouveau.",
    "error.too_large": "Cette requête est trop volumineuse.",
    "error.not_found": "Il n'y a pas de page ici.",
    "error.method": "Cette page n'accepte pas cette requête.",
    "error.server": "Un problème est survenu de notre côté. Veuillez réessayer plus tard.",
    "sent.title": "Consultez votre boîte de réception",
    "sent.body": "Si l'adresse peut recevoir des alertes, nous lui avons envoyé un courriel avec un lien. "
    "Ouvrez-le pour confirmer votre inscription ; il fonctionne pendant {hours} heures. Rien d'autre n'est "
    "envoyé à l'adresse d'ici là.",
    "sent.spam": "Pas de courriel après quelques minutes ? Regardez dans les indésirables, ou réessayez plus "
    "tard.",
    "limited.title": "Trop de tentatives",
    "limited.body": "Il y a eu trop de tentatives depuis votre connexion ou pour cette adresse. Veuillez "
    "attendre une heure et réessayer.",
    "link.invalid.title": "Ce lien ne fonctionne pas",
    "link.invalid.body": "Le lien est abîmé ou ne vient pas de ce site. Copiez le lien entier depuis le "
    "courriel, ou inscrivez-vous de nouveau.",
    "link.expired.title": "Ce lien a expiré",
    "link.expired.body": "Inscrivez-vous de nouveau avec la même adresse pour recevoir un nouveau lien.",
    "link.gone.title": "Plus rien n'est conservé",
    "link.gone.body": "Cet abonnement n'existe plus (il a été supprimé, ou n'a pas été confirmé à temps).",
    "confirm.title": "Confirmez votre inscription",
    "confirm.body": "Appuyez sur le bouton pour confirmer que vous voulez des alertes à cette adresse.",
    "confirm.button": "Confirmer mon inscription",
    "manage.title": "Vos alertes",
    "manage.status.active": "Les alertes sont actives : vous recevez une alerte quand la note de passage "
    "d'une ronde est égale ou inférieure à votre score.",
    "manage.status.unconfirmed": "Pas encore confirmé : confirmez votre adresse depuis le courriel envoyé.",
    "manage.status.inactive": "Les alertes sont arrêtées : vous vous êtes désabonné.",
    "manage.address": "Adresse : {email}",
    "manage.score": "Score enregistré : {crs}",
    "manage.score_profile": "Score enregistré : {crs}, d'après votre profil au {on} (règles {rules}).",
    "manage.settings": "Vos réglages",
    "manage.save": "Enregistrer mes réglages",
    "manage.saved": "Vos réglages sont enregistrés.",
    "manage.backtest": "Rondes passées : auriez-vous reçu une alerte ?",
    "manage.backtest_hint": "Les {n} dernières rondes, jugées avec vos réglages actuels.",
    "manage.backtest_none": "Aucune ronde n'est encore enregistrée.",
    "manage.col.round": "Ronde",
    "manage.col.date": "Date",
    "manage.col.category": "Type",
    "manage.col.cutoff": "Note de passage",
    "manage.col.score": "Votre score",
    "manage.col.alert": "Alerte ?",
    "manage.col.why": "Pourquoi",
    "manage.yes": "oui",
    "manage.no": "non",
    "manage.data": "Vos données",
    "manage.download": "Télécharger tout ce qui est conservé à votre sujet (JSON)",
    "manage.unsubscribe": "Arrêter les alertes",
    "manage.unsubscribe_button": "Me désabonner",
    "manage.resubscribe_button": "Réactiver les alertes",
    "manage.unsubscribed": "Vous êtes désabonné : plus aucune alerte n'est envoyée.",
    "manage.resubscribed": "Les alertes sont de nouveau actives.",
    "manage.delete": "Supprimer mes données",
    "manage.delete_hint": "Supprime sur-le-champ votre inscription, vos réglages et l'historique des alertes. "
    "C'est définitif.",
    "manage.delete_check": "Oui, tout supprimer",
    "manage.delete_button": "Supprimer mes données",
    "manage.delete_unchecked": "Cochez la case pour confirmer la suppression.",
    "why.general": "ronde générale : ouverte à toutes les catégories",
    "why.category": "admissible par {category}",
    "why.not_category": "non admissible à {category}",
    "why.above": "{n} points au-dessus de la note de passage",
    "why.below": "{n} points sous la note de passage",
    "why.tie_invited": "à la note de passage : profil soumis avant le bris d'égalité",
    "why.tie_unknown": "à la note de passage : dépend du bris d'égalité",
    "why.tie_late": "à la note de passage, mais profil soumis après le bris d'égalité",
    "why.inactive": "les alertes étaient arrêtées",
    "why.later": "vous vous êtes inscrit après cette ronde",
    "unsubscribe.title": "Désabonnement",
    "unsubscribe.body": "Appuyez sur le bouton pour arrêter toutes les alertes à cette adresse.",
    "unsubscribe.button": "Me désabonner",
    "unsubscribed.title": "Vous êtes désabonné",
    "unsubscribed.body": "Plus aucune alerte n'est envoyée. Vos réglages sont conservés jusqu'à ce que vous "
    "les supprimiez.",
    "unsubscribed.manage": "Gérer ou supprimer vos données",
    "deleted.title": "Vos données sont supprimées",
    "deleted.body": "Votre inscription, vos réglages et l'historique des alertes ont disparu. Vous pouvez "
    "vous réinscrire à tout moment.",
    "privacy.title": "Confidentialité",
    "privacy.what": "Ce qui est conservé",
    "privacy.what_body": "Votre adresse courriel ; les réglages que vous donnez (score SCG ou réponses du "
    "calculateur, types de rondes, professions, heures calmes, fuseau horaire, langue) ; les dates "
    "d'inscription et de confirmation ; et les alertes envoyées (quelle ronde, quand, si elle est arrivée).",
    "privacy.why": "Pourquoi",
    "privacy.why_body": "Uniquement pour vous envoyer les alertes demandées. Rien n'est vendu ni partagé ; "
    "le fournisseur de courriel de ce site transporte les messages.",
    "privacy.how_long": "Combien de temps",
    "privacy.how_long_body": "Une inscription non confirmée est supprimée après {hours} heures. Une "
    "inscription confirmée est conservée jusqu'à ce que vous la supprimiez depuis votre page de gestion "
    "(un lien figure dans chaque alerte) ; le désabonnement arrête les alertes et garde les réglages pour "
    "les réactiver.",
    "privacy.logs": "Journaux et limites",
    "privacy.logs_body": "Le site ne tient aucun journal d'accès avec des adresses ou des liens. Contre les "
    "abus, il compte les tentatives par connexion et par adresse pendant une heure, en mémoire seulement, "
    "l'adresse étant hachée.",
    "privacy.cookies": "Témoins",
    "privacy.cookies_body": "Un témoin protège les formulaires contre les requêtes intersites ; il contient "
    "une valeur aléatoire et rien à votre sujet.",
    "mail.confirm.subject": "Confirmez vos alertes des rondes d'Entrée express",
    "mail.confirm.body": "Quelqu'un, sans doute vous, s'est inscrit aux alertes des rondes d'Entrée express "
    "avec cette adresse. Pour confirmer, ouvrez ce lien dans les {hours} heures :",
    "mail.confirm.ignore": "Si ce n'était pas vous, ignorez ce courriel : rien d'autre n'est envoyé à cette "
    "adresse et l'inscription est supprimée.",
    "mail.known.subject": "Vos alertes des rondes d'Entrée express",
    "mail.known.body": "Quelqu'un, sans doute vous, a demandé à s'inscrire avec cette adresse, qui est déjà "
    "inscrite. Pour voir ou modifier vos réglages, ouvrez ce lien :",
    "mail.known.ignore": "Si ce n'était pas vous, ignorez ce courriel : rien n'a été modifié.",
}

CATEGORY_LABELS_FR: Final[dict[str, str]] = {
    "general": "Générale (tous les programmes)",
    "cec": "Catégorie de l'expérience canadienne",
    "fsw": "Travailleurs qualifiés (fédéral)",
    "fst": "Travailleurs de métiers spécialisés (fédéral)",
    "pnp": "Programme des candidats des provinces",
    "french": "Connaissance du français",
    "stem": "STIM (sciences, technologies, ingénierie, mathématiques)",
    "healthcare": "Santé et services sociaux",
    "trades": "Métiers",
    "transport": "Transport",
    "agriculture": "Agriculture et agroalimentaire",
    "education": "Éducation",
    "physicians": "Médecins ayant une expérience de travail au Canada",
    "researchers": "Chercheurs ayant une expérience de travail au Canada",
    "senior_managers": "Cadres supérieurs ayant une expérience de travail au Canada",
    "military": "Recrues militaires qualifiées",
    "other": "Autre",
}

CATALOGS: Final[dict[str, dict[str, str]]] = {"en": EN, "fr": FR}

# The project's validation messages (English, from drawwatch.domain) as French pages show them: a pattern of
# the English text and its French form. A message no pattern matches is shown as it is.
_FRENCH_MESSAGES: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern), french)
    for pattern, french in (
        (r"^crs must be between 0 and (\d+), got (-?\d+)$", r"doit être entre 0 et \1, reçu \2"),
        (r"^crs must be a whole number, got (.*)$", r"doit être un nombre entier, reçu \1"),
        (r"^unknown category (.+?) \(known: .*\)$", r"catégorie inconnue \1"),
        (r"^noc must be a 5-digit NOC 2021 code, got (.*)$", r"un code CNP 2021 a 5 chiffres, reçu \1"),
        (
            r"^months of experience must be a whole number ≥ 0, got (.*)$",
            r"les mois doivent être un nombre entier ≥ 0, reçu \1",
        ),
        (
            r"^quiet hours need the subscriber's time zone .*$",
            "les heures calmes demandent un fuseau horaire (America/Toronto, par exemple)",
        ),
        (
            r"^unknown time zone (.+?): .*$",
            r"fuseau horaire inconnu \1 : donnez un nom IANA comme America/Toronto",
        ),
        (r"^an e-mail address is required$", "une adresse courriel est requise"),
        (
            r"^an e-mail address has at most (\d+) characters$",
            r"une adresse courriel a au plus \1 caractères",
        ),
        (r"^this is not an e-mail address .*$", "ce n'est pas une adresse courriel (nom@exemple.org)"),
        (
            r"^the part before @ may hold .*$",
            "avant le @, seuls les lettres, chiffres et . _ + - sont permis",
        ),
        (r"^the part after @ must be .*$", "après le @, il faut un nom de domaine comme exemple.org"),
    )
)


def localize(language: str, message: str) -> str:
    """A validation message of the project in ``language`` (English ones are shown as they are)."""
    if language != "fr":
        return message
    for pattern, french in _FRENCH_MESSAGES:
        if pattern.match(message):
            return pattern.sub(french, message)
    return message


def text(language: str, key: str, **values: Any) -> str:
    """The words for ``key`` in ``language`` (English when French has none), ``{names}`` filled in."""
    catalog = CATALOGS.get(language, EN)
    template = catalog.get(key)
    if template is None:
        template = EN[key]  # KeyError: a typo in a template, caught by the tests
    return template.format(**values) if values else template


def translator(language: str) -> Callable[..., str]:
    """``t(key, **values)`` for one language, as the templates call it."""

    def t(key: str, **values: Any) -> str:
        return text(language, key, **values)

    return t


def category_label(language: str, key: str) -> str:
    from drawwatch.domain.categories import CATEGORY_LABELS

    if language == "fr":
        return CATEGORY_LABELS_FR.get(key, CATEGORY_LABELS.get(key, key))
    return CATEGORY_LABELS.get(key, key)


def pick_language(*candidates: str | None) -> str:
    """The first of ``candidates`` that is a language the site speaks, else English."""
    for candidate in candidates:
        if candidate:
            code = candidate.strip().lower()[:2]
            if code in LANGUAGES:
                return code
    return DEFAULT_LANGUAGE
