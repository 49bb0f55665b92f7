"""The configuration the LMS shows learners, per language, and the language choice."""

from __future__ import annotations

from typing import Any

# English is the fallback.
PROCTORING_CONFIG: dict[str, dict[str, Any]] = {
    "en": {
        "name": "MockProck",
        "rules": {
            "allow_notes": "Allow the learner to take notes",
            "allow_cheating": "Allow the learner to cheat",
        },
        "instructions": [
            "This exam is proctored by MockProck, a stand-in proctoring service for development.",
            "A new window will open. Start the MockProck application from there.",
            "Keep the application running until you have submitted the exam.",
            "When you are finished, you will be redirected to the exam.",
        ],
    },
    "es": {
        "name": "MockProck",
        "rules": {
            "allow_notes": "Permitir que el estudiante tome notas",
            "allow_cheating": "Permitir que el estudiante haga trampa",
        },
        "instructions": [
            "Este examen está supervisado por MockProck, un servicio de supervisión de prueba "
            "para desarrollo.",
            "Se abrirá una ventana nueva. Inicie desde allí la aplicación MockProck.",
            "Mantenga la aplicación en marcha hasta que haya enviado el examen.",
            "Cuando termine, se le redirigirá al examen.",
        ],
    },
    "fr": {
        "name": "MockProck",
        "rules": {
            "allow_notes": "Autoriser l'apprenant à prendre des notes",
            "allow_cheating": "Autoriser l'apprenant à tricher",
        },
        "instructions": [
            "Cet examen est surveillé par MockProck, un service de surveillance factice pour "
            "le développement.",
            "Une nouvelle fenêtre va s'ouvrir. Lancez-y l'application MockProck.",
            "Laissez l'application ouverte jusqu'à ce que vous ayez soumis l'examen.",
            "Une fois terminé, vous serez redirigé vers l'examen.",
        ],
    },
}
LANGUAGES = tuple(PROCTORING_CONFIG)


def pick_language(accept_language: str | None, offered: tuple[str, ...] = LANGUAGES) -> str:
    """The best of ``offered`` for an Accept-Language header, else the first offered.

    edx-proctoring sends ``'<current>;<default>'`` (``es-419;en-us``), which is not the
    standard syntax, so each ``;``-separated piece that is not a ``q=`` weight counts as
    a language of the same weight, in order.
    """
    candidates: list[tuple[float, int, str]] = []
    for order, part in enumerate((accept_language or "").split(",")):
        pieces = [p.strip() for p in part.split(";") if p.strip()]
        weight = 1.0
        for piece in pieces:
            if piece.lower().startswith("q="):
                try:
                    weight = float(piece[2:])
                except ValueError:
                    weight = 0.0
        for sub, piece in enumerate(pieces):
            if not piece.lower().startswith("q="):
                candidates.append((-weight, order * 100 + sub, piece.lower()))
    for _, _, tag in sorted(candidates):
        primary = tag.split("-")[0].split("_")[0]
        if tag in offered:
            return tag
        if primary in offered:
            return primary
    return offered[0]


def config(accept_language: str | None, base_url: str) -> dict[str, Any]:
    """The config answer in the learner's language, with where to get the software."""
    return {
        **PROCTORING_CONFIG[pick_language(accept_language)],
        "download_url": f"{base_url}/download",
    }


def instructions(accept_language: str | None) -> list[str]:
    return PROCTORING_CONFIG[pick_language(accept_language)]["instructions"]
