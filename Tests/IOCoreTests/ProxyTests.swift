import Testing

/// Every data-path test lives under this suite so they run one at a time: they share the
/// process's descriptors, memory (RSS assertions) and the machine's two cores.
@Suite(.serialized) struct ProxyTests {}
