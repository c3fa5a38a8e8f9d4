/// Why a SCRAM-SHA-256 exchange with the upstream server failed. No case carries the
/// password, keys or proofs.
public enum SCRAMError: Error, Sendable, Hashable {
    /// The server's SASL mechanism list has no plain `SCRAM-SHA-256` (channel binding,
    /// `-PLUS`, is refused: the gateway ends the client's authentication itself).
    case mechanismNotOffered
    /// A method was called in the wrong state.
    case outOfOrder
    /// The server-first message is malformed (missing or misordered attributes,
    /// bad base64, unsupported mandatory extension `m=`).
    case invalidServerFirst
    /// The server's nonce does not extend ours.
    case nonceMismatch
    /// The iteration count is below the configured floor.
    case iterationCountTooLow(Int)
    /// The iteration count is above the configured ceiling (CPU exhaustion guard).
    case iterationCountTooHigh(Int)
    /// The server-final message is malformed.
    case invalidServerFinal
    /// The server reported an error (`e=`) in its final message.
    case serverRejected
    /// The server's signature does not match: it does not know the password.
    case serverSignatureMismatch
}
