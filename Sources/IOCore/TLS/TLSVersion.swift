import COpenSSL

/// The oldest TLS version a context accepts. TLS 1.3 is preferred whenever both ends have it.
public enum TLSVersion: String, Sendable, Hashable, CaseIterable {
    case v1_2 = "1.2"
    case v1_3 = "1.3"

    var openSSLValue: Int32 {
        switch self {
        case .v1_2: TLS1_2_VERSION
        case .v1_3: TLS1_3_VERSION
        }
    }
}
