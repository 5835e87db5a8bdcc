// Reads and writes the image of an environment in its manifests, whichever way the pipeline says it is set.
// Setting the image that is already there returns the text unchanged, so a retried edit makes no commit.
import type { ImageSetter } from '../config/pipeline.js';
import { ImageReferenceError, parseImageReference } from '../config/image-reference.js';
import { TERMINAL, terminal } from '../failures.js';
import { readContainerImage, setContainerImage } from './container-image.js';
import { readHelmValuesImage, setHelmValuesImage } from './helm-values-image.js';
import { readKustomizeImage, setKustomizeImage } from './kustomize-image.js';

export interface ImageEdit {
  text: string;
  /** The image the manifest declared before the edit; undefined if there was none (a new kustomize entry). */
  previousImage?: string;
  changed: boolean;
}

export function setImage(text: string, setter: ImageSetter, image: string): ImageEdit {
  let reference;
  try {
    reference = parseImageReference(image);
  } catch (error) {
    if (error instanceof ImageReferenceError) throw terminal(TERMINAL.invalidInput, `${setter.file}: ${error.message}`);
    throw error;
  }
  const edit =
    setter.kind === 'container'
      ? setContainerImage(text, setter.file, setter.container, image)
      : setter.kind === 'kustomize'
        ? setKustomizeImage(text, setter.file, setter.name, reference)
        : setHelmValuesImage(text, setter.file, setter.key, setter.value, reference);
  const result: ImageEdit = { text: edit.text, changed: edit.text !== text };
  if (edit.previousImage !== undefined) result.previousImage = edit.previousImage;
  return result;
}

export function readImage(text: string, setter: ImageSetter): string | undefined {
  if (setter.kind === 'container') return readContainerImage(text, setter.file, setter.container);
  if (setter.kind === 'kustomize') return readKustomizeImage(text, setter.file, setter.name);
  return readHelmValuesImage(text, setter.file, setter.key, setter.value);
}
