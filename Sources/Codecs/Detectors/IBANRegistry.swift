/// IBAN lengths per country (ISO 13616 registry, SWIFT release 2024).
///
/// Covers every SEPA country (EU and EEA, CH, GB, MC, SM, VA, AD, GI) and the other
/// registry members most often seen; an unknown country code is never an IBAN here.
public enum IBANRegistry {
    /// The total length (country code and check digits included) of an IBAN of the
    /// country whose ISO 3166 alpha-2 code is the upper-case bytes `first`, `second`;
    /// `nil` for a country outside the table.
    @inlinable
    public static func length(_ first: UInt8, _ second: UInt8) -> Int? {
        switch UInt16(first) << 8 | UInt16(second) {
        case 0x4e4f: return 15 // NO
        case 0x4245: return 16 // BE
        case 0x444b, 0x4649, 0x464f, 0x474c, 0x4e4c: return 18 // DK FI FO GL NL
        case 0x4d4b, 0x5349: return 19 // MK SI
        case 0x4154, 0x4241, 0x4545, 0x4b5a, 0x4c54, 0x4c55, 0x584b: return 20 // AT BA EE KZ LT LU XK
        case 0x4348, 0x4852, 0x4c49, 0x4c56: return 21 // CH HR LI LV
        case 0x4247, 0x4248, 0x4352, 0x4445, 0x4742, 0x4745, 0x4945, 0x4d45, 0x5253, 0x5641: return 22 // BG BH CR DE GB GE IE ME RS VA
        case 0x4145, 0x4749, 0x494c, 0x4951, 0x544c: return 23 // AE GI IL IQ TL
        case 0x4144, 0x435a, 0x4553, 0x4d44, 0x504b, 0x524f, 0x5341, 0x5345, 0x534b, 0x544e, 0x5647: return 24 // AD CZ ES MD PK RO SA SE SK TN VG
        case 0x5054, 0x5354: return 25 // PT ST
        case 0x4953, 0x5452: return 26 // IS TR
        case 0x4652, 0x4752, 0x4954, 0x4d43, 0x4d52, 0x534d: return 27 // FR GR IT MC MR SM
        case 0x414c, 0x415a, 0x4259, 0x4359, 0x444f, 0x4754, 0x4855, 0x4c42, 0x504c, 0x5356: return 28 // AL AZ BY CY DO GT HU LB PL SV
        case 0x4252, 0x4547, 0x5053, 0x5141, 0x5541: return 29 // BR EG PS QA UA
        case 0x4a4f, 0x4b57, 0x4d55: return 30 // JO KW MU
        case 0x4d54, 0x5343: return 31 // MT SC
        case 0x4c43: return 32 // LC
        default: return nil
        }
    }

    /// Every country code in the table, for tests and documentation.
    public static let countryCodes: [String] = [
        "AD", "AE", "AL", "AT", "AZ", "BA", "BE", "BG", "BH", "BR", "BY", "CH",
        "CR", "CY", "CZ", "DE", "DK", "DO", "EE", "EG", "ES", "FI", "FO", "FR",
        "GB", "GE", "GI", "GL", "GR", "GT", "HR", "HU", "IE", "IL", "IQ", "IS",
        "IT", "JO", "KW", "KZ", "LB", "LC", "LI", "LT", "LU", "LV", "MC", "MD",
        "ME", "MK", "MR", "MT", "MU", "NL", "NO", "PK", "PL", "PS", "PT", "QA",
        "RO", "RS", "SA", "SC", "SE", "SI", "SK", "SM", "ST", "SV", "TL", "TN",
        "TR", "UA", "VA", "VG", "XK",
    ]
}
