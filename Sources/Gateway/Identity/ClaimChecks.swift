import Foundation

/// Claim checks shared by the OIDC and gateway-token verifiers.
///
/// Times are NumericDate seconds; `skew` widens every window by the same amount. A token is
/// expired when `now >= exp + skew`, not yet valid when `now < nbf - skew`, and issued in the
/// future when `iat > now + skew`.
enum ClaimChecks {
    /// Latest NumericDate accepted: 9999-12-31T23:59:59Z. Anything outside 0...this is not a
    /// date a token can mean, and would not fit the integer arithmetic and messages below.
    static let latestNumericDate: Double = 253_402_300_799

    /// Reads a NumericDate claim; `nil` if absent, an error if present but not a finite number
    /// between the epoch and year 9999 (`-1e300` and `1e300` are refused, not compared).
    static func numericDate(_ name: String, in claims: [String: JSONValue]) throws(AuthenticationFailure) -> Double? {
        guard let value = claims[name] else { return nil }
        guard let seconds = value.numberValue, seconds.isFinite else {
            throw AuthenticationFailure(.invalidClaim, "\(name) is not a number")
        }
        guard seconds >= 0, seconds <= latestNumericDate else {
            throw AuthenticationFailure(.invalidClaim, "\(name) is out of range (0...\(Int(latestNumericDate)))")
        }
        return seconds
    }

    /// Checks `exp` (required), `nbf` and `iat` (optional unless `requireIssuedAt`) against `now`.
    /// Returns `(exp, iat)`.
    @discardableResult
    static func checkTimes(
        _ claims: [String: JSONValue], now: Date, skew: Double, requireIssuedAt: Bool = false
    ) throws(AuthenticationFailure) -> (expiresAt: Double, issuedAt: Double?) {
        let nowSeconds = now.timeIntervalSince1970
        guard let exp = try numericDate("exp", in: claims) else {
            throw AuthenticationFailure(.missingClaim, "exp")
        }
        guard nowSeconds < exp + skew else {
            throw AuthenticationFailure(.expired, "exp \(Int(exp)) is before now \(Int(nowSeconds)) (skew \(Int(skew))s)")
        }
        if let nbf = try numericDate("nbf", in: claims), nowSeconds < nbf - skew {
            throw AuthenticationFailure(.notYetValid, "nbf \(Int(nbf)) is after now \(Int(nowSeconds)) (skew \(Int(skew))s)")
        }
        let iat = try numericDate("iat", in: claims)
        if let iat, iat > nowSeconds + skew {
            throw AuthenticationFailure(.issuedInFuture, "iat \(Int(iat)) is after now \(Int(nowSeconds)) (skew \(Int(skew))s)")
        }
        if requireIssuedAt && iat == nil {
            throw AuthenticationFailure(.missingClaim, "iat")
        }
        return (exp, iat)
    }

    /// Checks `iss` equals `issuer` exactly.
    static func checkIssuer(_ claims: [String: JSONValue], _ issuer: String) throws(AuthenticationFailure) {
        guard let iss = claims["iss"]?.stringValue else {
            throw AuthenticationFailure(.wrongIssuer, "iss missing or not a string")
        }
        guard iss == issuer else {
            throw AuthenticationFailure(.wrongIssuer, "iss \"\(iss)\" is not the configured issuer")
        }
    }

    /// Checks `aud` (a string or an array of strings) names at least one of `audiences`.
    static func checkAudience(_ claims: [String: JSONValue], _ audiences: [String]) throws(AuthenticationFailure) {
        let named: [String]
        switch claims["aud"] {
        case .string(let value)?:
            named = [value]
        case .array(let values)?:
            named = values.compactMap(\.stringValue)
            guard named.count == values.count else {
                throw AuthenticationFailure(.wrongAudience, "aud array holds non-strings")
            }
        case nil:
            throw AuthenticationFailure(.wrongAudience, "aud missing")
        default:
            throw AuthenticationFailure(.wrongAudience, "aud is neither a string nor an array")
        }
        guard named.contains(where: audiences.contains) else {
            throw AuthenticationFailure(.wrongAudience, "aud \(named.prefix(4)) names no configured audience")
        }
    }

    /// Reads a claim that must be a non-empty string.
    static func requiredString(_ name: String, in claims: [String: JSONValue]) throws(AuthenticationFailure) -> String {
        switch claims.claim(named: name) {
        case .string(let value)? where !value.isEmpty:
            return value
        case nil:
            throw AuthenticationFailure(.missingClaim, name)
        default:
            throw AuthenticationFailure(.invalidClaim, "\(name) is not a non-empty string")
        }
    }

    /// Reads a list-of-strings claim: an array of strings, a single string, or absent (empty).
    ///
    /// Any other shape is refused rather than ignored: silently dropping a group could bypass
    /// a deny rule written for that group.
    static func stringList(_ name: String, in claims: [String: JSONValue]) throws(AuthenticationFailure) -> [String] {
        switch claims.claim(named: name) {
        case nil, .null?:
            return []
        case .string(let value)?:
            return [value]
        case .array(let values)?:
            let strings = values.compactMap(\.stringValue)
            guard strings.count == values.count else {
                throw AuthenticationFailure(.invalidClaim, "\(name) holds non-string entries")
            }
            return strings
        default:
            throw AuthenticationFailure(.invalidClaim, "\(name) is neither a string nor an array of strings")
        }
    }
}
