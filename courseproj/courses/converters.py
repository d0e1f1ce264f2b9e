"""The path converter for every id in a URL."""

# The largest id either database stores (a signed 64-bit integer). A bigger
# number in a URL matches no route (404) instead of reaching the database,
# where SQLite raises "Python int too large to convert" (a 500).
MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError("id out of range")  # Django reads a ValueError as "no match"
        return number

    def to_url(self, value: int) -> str:
        return str(value)
