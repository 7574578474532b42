"""Hue AR: augmented-reality content service for heritage sites (the app: :mod:`ar_service.app`)."""
