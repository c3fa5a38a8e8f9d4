/// The kinds of sensitive value the detectors recognise.
///
/// An option set, so one value both names the kind of a finding and configures which
/// detectors a ``SensitiveDataScanner`` runs.
public struct SensitiveDataKind: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8

    @inlinable
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Payment card numbers: 12–19 digits, Luhn-checked (see ``CreditCardDetector``).
    public static let creditCard = SensitiveDataKind(rawValue: 1 << 0)
    /// E-mail addresses (see ``EmailDetector``).
    public static let email = SensitiveDataKind(rawValue: 1 << 1)
    /// US social security numbers (see ``SSNDetector``).
    public static let ssn = SensitiveDataKind(rawValue: 1 << 2)
    /// International bank account numbers (see ``IBANDetector``).
    public static let iban = SensitiveDataKind(rawValue: 1 << 3)
    /// Dotted-quad IPv4 addresses (see ``IPv4Detector``).
    public static let ipv4 = SensitiveDataKind(rawValue: 1 << 4)
    /// IPv6 addresses (see ``IPv6Detector``).
    public static let ipv6 = SensitiveDataKind(rawValue: 1 << 5)
    /// User-defined literal keywords (see ``KeywordSet``).
    public static let keyword = SensitiveDataKind(rawValue: 1 << 6)

    /// Every built-in detector (keywords need a ``KeywordSet`` as well).
    public static let all: SensitiveDataKind = [.creditCard, .email, .ssn, .iban, .ipv4, .ipv6, .keyword]

    /// Configuration names, as policy files spell them.
    public static let allNamed: [(name: String, kind: SensitiveDataKind)] = [
        ("credit_card", .creditCard), ("email", .email), ("ssn", .ssn), ("iban", .iban),
        ("ipv4", .ipv4), ("ipv6", .ipv6), ("keyword", .keyword),
    ]

    /// The kind a configuration name stands for, or `nil` for an unknown name.
    public init?(name: String) {
        guard let entry = Self.allNamed.first(where: { $0.name == name }) else { return nil }
        self = entry.kind
    }
}
