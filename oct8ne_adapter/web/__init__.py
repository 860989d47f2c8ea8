"""The HTTP surface: request -> params -> handler -> repository/search -> serializers -> responses.

`methods` is the one table of frame methods; `state` keeps each app's AdapterState and is the
one module that reads `app.extensions`.
"""
