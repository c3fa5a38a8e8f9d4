/// Why a bearer token was refused.
///
/// The full reason belongs in the audit log (``auditDescription``); the caller only ever sees
/// ``CallerAuthenticationError`` (see ``AuthenticationFailure/callerFacing``). The detail text
/// never contains the token, its signature, or key material.
public struct AuthenticationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of refusal.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// The token is longer than the configured limit; it was not parsed.
        case tooLarge
        /// Not a compact JWS: wrong segment count, bad base64url, bad JSON, unsupported header.
        case malformed
        /// The header's `alg` is not allowed (`none`, HMAC, ...) or does not match the key.
        case algorithmNotAllowed
        /// The header's `kid` names no key in the key set (after at most one refetch).
        case unknownKey
        /// The signature does not verify.
        case badSignature
        /// The `iss` claim is not the configured issuer.
        case wrongIssuer
        /// The `aud` claim names none of the configured audiences.
        case wrongAudience
        /// `exp` is in the past (beyond the allowed clock skew).
        case expired
        /// `nbf` is in the future (beyond the allowed clock skew).
        case notYetValid
        /// `iat` is in the future (beyond the allowed clock skew).
        case issuedInFuture
        /// A required claim is absent.
        case missingClaim
        /// A claim has the wrong shape (for example a number where strings are expected).
        case invalidClaim
        /// The token id is on the revocation list.
        case revoked
        /// The token is not scoped to the resource being reached.
        case outOfScope
        /// The token's lifetime (`exp - iat`) exceeds the configured maximum.
        case ttlTooLong
        /// No key set could be loaded for the issuer.
        case keySetUnavailable
        /// No configured provider accepts tokens from the token's issuer.
        case unknownIssuer
        /// Too many recent failures from the caller's address; the token was not examined.
        case rateLimited
    }

    /// The class of refusal.
    public var reason: Reason
    /// Audit-safe detail (bounded, printable, never token material).
    public var detail: String
    /// The identity provider (or `gateway-token`) that refused the token, when known.
    public var provider: String?

    /// Creates a failure; `detail` is sanitized and truncated for the audit log.
    public init(_ reason: Reason, _ detail: String = "", provider: String? = nil) {
        self.reason = reason
        self.detail = AuditText.sanitize(detail)
        self.provider = provider.map { AuditText.sanitize($0) }
    }

    /// One line for the audit log: reason, provider and detail. Safe to log; never shown to the caller.
    public var auditDescription: String {
        var text = "authentication rejected: reason=\(reason.rawValue)"
        if let provider { text += " provider=\(provider)" }
        if !detail.isEmpty { text += " detail=\"\(detail)\"" }
        return text
    }

    /// The same as ``auditDescription``.
    public var description: String { auditDescription }

    /// The only error a caller may see for this failure: it carries no reason at all.
    public var callerFacing: CallerAuthenticationError { CallerAuthenticationError() }

    /// Returns a copy attributed to `provider`.
    func attributed(to provider: String) -> AuthenticationFailure {
        var copy = self
        copy.provider = AuditText.sanitize(provider)
        return copy
    }
}

/// The generic refusal a caller receives; deliberately identical for every reason.
public struct CallerAuthenticationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text sent to the caller.
    public static let message = "authentication failed"

    public init() {}

    /// ``message``.
    public var message: String { Self.message }
    public var description: String { Self.message }
}

/// Splits a verification result into what the audit log gets and what the caller gets.
public enum AuthenticationOutcome {
    /// Hands the failure's ``AuthenticationFailure/auditDescription`` to `audit` and returns the
    /// identity, or the reason-free ``CallerAuthenticationError`` for the caller.
    ///
    /// This is the one place where a refusal crosses from the audit side to the caller side.
    public static func resolve(
        _ result: Result<VerifiedIdentity, AuthenticationFailure>,
        audit: (AuthenticationFailure) -> Void
    ) -> Result<VerifiedIdentity, CallerAuthenticationError> {
        switch result {
        case .success(let identity):
            return .success(identity)
        case .failure(let failure):
            audit(failure)
            return .failure(failure.callerFacing)
        }
    }
}

/// Makes untrusted text safe for a single audit line.
enum AuditText {
    /// Keeps printable ASCII (quotes and backslashes replaced), replaces the rest with `?`,
    /// and truncates to `limit` characters.
    static func sanitize(_ text: String, limit: Int = 160) -> String {
        var out = ""
        out.reserveCapacity(min(text.utf8.count, limit))
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                out += "..."
                break
            }
            let value = scalar.value
            if value >= 0x20 && value < 0x7F && scalar != "\"" && scalar != "\\" {
                out.unicodeScalars.append(scalar)
            } else {
                out += "?"
            }
            count += 1
        }
        return out
    }
}
