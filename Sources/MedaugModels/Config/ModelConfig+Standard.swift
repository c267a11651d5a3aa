extension ModelConfig {
    /// The default architecture of `kind` for square images of `imageSize`
    /// pixels, `classes` label classes (named `class_0`, … with stored
    /// values 0, 1, …) and `imageChannels` modalities (`channel_0`, …): the
    /// paper's generator and discriminator, the standard segmenter (depth 4,
    /// 32 base filters). What `medaug model init --kind` and
    /// `medaug_model_init` make without further options.
    ///
    /// - Throws: `ModelError` when the result does not validate (e.g. an
    ///   image size the network's depth cannot halve down).
    public static func standard(kind: ModelKind, imageSize: Int, classes: Int, imageChannels: Int) throws -> ModelConfig {
        let names = (0..<classes).map { "class_\($0)" }, values = Array(0..<classes)
        let channels = (0..<imageChannels).map { "channel_\($0)" }
        let config: ModelConfig
        switch kind {
        case .generator:
            config = .generator(.paper(imageSize: imageSize, classes: names, labelValues: values, channelNames: channels))
        case .discriminator:
            config = .discriminator(.paper(imageSize: imageSize, classes: names, labelValues: values, channelNames: channels))
        case .segmenter:
            config = .segmenter(.standard(imageSize: imageSize, classes: names, labelValues: values, channelNames: channels))
        }
        try config.validate()
        return config
    }
}
