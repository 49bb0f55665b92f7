"""The Tutor plugin: ``tutor plugins enable mockprock`` sets up proctored exams.

``plugin`` is the module Tutor loads (entry point ``tutor.plugin.v1``); ``npm`` finds
the browser worker's npm package, for the openedx image build. Only Tutor imports
``plugin``.
"""
