// The package's version, as package.json states it: the bundler keeps only this field of the manifest.
export { version as DMALAB_VERSION } from '../package.json';
