/// The gateway's release version, printed by `ringgate --version`.
public enum RingGateVersion {
    public static let string = "0.1.0-dev"
}
