import spendwatch


def test_public_names_exist():
    for name in spendwatch.__all__:
        assert hasattr(spendwatch, name), name
