// generate-one GENERATOR.safetensors OUT.tiff: renders one image from a disc
// of the generator's second label value on its first (background).
import MedaugEngine
import MedaugImaging

let session = try Model(path: CommandLine.arguments[1]).makeSession(threads: 2)
let (side, labels) = (session.model.config.common.imageSize, session.model.config.common.labelValues.map(Int32.init))
let disc = (0..<side * side).map { p in (p / side - side / 2) * (p / side - side / 2) + (p % side - side / 2) * (p % side - side / 2) < side * side / 16 ? labels[1] : labels[0] }
let image = try session.generate(from: LabelMaps(count: 1, height: side, width: side, values: disc))
try TIFFWriter.write(image: TIFFImage(width: side, height: side, channels: image.shape[1], pixels: .float32(image.values)), to: CommandLine.arguments[2])
