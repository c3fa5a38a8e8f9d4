import Codecs

/// Deterministic benchmark inputs shared by the benchmark targets.
public enum MixedText {
    /// `size` bytes of mixed text: prose, JSON records, log lines with timestamps,
    /// numbers and ids, and roughly one sensitive value (card, e-mail, SSN, IBAN, IP
    /// address, keyword) per 400 bytes.
    public static func make(size: Int, seed: UInt64 = 42) -> [UInt8] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }

        let prose = [
            "The replication lag stayed below one second while the primary handled the nightly batch. ",
            "Customers asked why the invoice total changed after the migration; support replied within the hour. ",
            "Please review the attached report before Thursday's meeting and add your comments inline. ",
            "Latency percentiles improved once the connection pool was resized to match the number of cores. ",
            "Ünïcode text, naïve café owners and résumé fields must pass through unchanged. ",
        ]
        let records = [
            "2024-05-01T12:30:45.123Z INFO request_id=9f86d081 duration_ms=12.5 status=200 path=/api/v1/orders/184467\n",
            "{\"id\":48213,\"created\":\"2024-04-30 08:15:00\",\"amount\":1299.95,\"currency\":\"EUR\",\"items\":3}\n",
            "order ORD-2024-000123 shipped 2024-05-02, tracking 1Z999AA10123456784, version 2.14.7\n",
            "uuid 550e8400-e29b-41d4-a716-446655440000 hash 3f786850e387550fdab836ed7e6dc881de23001b\n",
        ]
        let sensitive = [
            "{\"card\":\"4111 1111 1111 1111\",\"exp\":\"12/27\"}\n", "contact ann.lee@example.com today. ",
            "ssn 536-22-8726 on file. ", "IBAN DE89 3704 0044 0532 0130 00 verified. ", "from 10.20.30.40:5432 ",
            "peer 2001:db8::7 ", "card 5500000000000004 charged. ", "codename Project Falcon leaked. ",
        ]
        var out: [UInt8] = []
        out.reserveCapacity(size + 256)
        while out.count < size {
            let roll = next() % 10
            let piece = roll < 5 ? pick(prose) : roll < 8 ? pick(records) : pick(sensitive)
            out += piece.utf8
        }
        out.removeLast(out.count - size)
        return out
    }

    /// `size` bytes of mostly prose with one
    /// log line per ~1 KiB and one sensitive value per ~4 KiB: text columns of ordinary
    /// business data, where findings are rare.
    public static func prose(size: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size + 256)
        let sentence = Array("Please review the attached report before the meeting and add your comments inline. ".utf8)
        let logLine = Array("order shipped on 2024-05-02, version 2.14.7, status 200.\n".utf8)
        let value = Array("contact ann.lee@example.com or card 4111 1111 1111 1111. ".utf8)
        var written = 0
        while out.count < size {
            out += sentence
            written += 1
            if written % 12 == 0 { out += logLine }
            if written % 48 == 0 { out += value }
        }
        out.removeLast(out.count - size)
        return out
    }

    /// The scanner configuration the scan+mask benchmark uses: every detector and one keyword.
    public static func scanner() -> SensitiveDataScanner {
        let keywords = try? KeywordSet(["project falcon"])
        return SensitiveDataScanner(configuration: .init(keywords: keywords, maskStyle: .keepLast4))
    }
}
