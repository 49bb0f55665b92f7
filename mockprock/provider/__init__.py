"""The provider's rules (exams, attempts, onboarding, reviews and verdicts, the
desktop application, timelines, settings at run time, guest clients) and the facades
the views call (``facade.Provider``, ``pages.Pages``). Plain Python, no Flask."""
