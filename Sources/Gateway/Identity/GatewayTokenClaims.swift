import JWTKit

/// The claims of a gateway-issued token, as signed by ``GatewayTokenIssuer``.
///
/// Used for encoding only: verification is ``GatewayTokenVerifier``'s job and never goes
/// through jwt-kit's payload hook, which is why ``verify(using:)`` does nothing.
struct GatewayTokenClaims: JWTPayload, Equatable {
    var iss: String
    var sub: String
    var groups: [String]
    var resources: [String]
    var iat: Int
    var nbf: Int
    var exp: Int
    var jti: String

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
