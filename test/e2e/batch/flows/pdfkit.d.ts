/** The part of pdfkit's API the test flow uses (pdfkit ships no types; @types/pdfkit is not a dependency). */
declare module 'pdfkit' {
  export default class PDFDocument {
    on(event: 'data', listener: (chunk: Buffer) => void): this;
    on(event: 'end', listener: () => void): this;
    font(name: string): this;
    text(text: string): this;
    end(): void;
  }
}
