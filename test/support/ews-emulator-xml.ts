import { XMLParser } from 'fast-xml-parser';

import type { StoredFolder, StoredMailbox, StoredMessage } from './graph-emulator-mailstore';
import { headerValue } from './mail';

/**
 * SOAP plumbing of the EWS emulator: parsing requests and writing answers in the shapes of
 * Microsoft's EWS reference ("EWS XML elements in Exchange", Exchange2010_SP2 schema): a
 * ServerVersionInfo header, one `<m:{Operation}ResponseMessage>` per requested item with
 * ResponseClass / ResponseCode, `t:` items and folders, and SOAP faults with a `detail`
 * that carries the EWS response code (and BackOffMilliseconds for ErrorServerBusy).
 */
export const NS_SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
export const NS_MESSAGES = 'http://schemas.microsoft.com/exchange/services/2006/messages';
export const NS_TYPES = 'http://schemas.microsoft.com/exchange/services/2006/types';
export const NS_ERRORS = 'http://schemas.microsoft.com/exchange/services/2006/errors';

const ARRAY_ELEMENTS = new Set(['ItemId', 'FolderId', 'DistinguishedFolderId', 'FieldURI', 'ItemChange', 'SetItemField', 'Message', 'FieldOrder']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => ARRAY_ELEMENTS.has(name),
});

// fast-xml-parser answers plain objects; the emulator reads them loosely on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type XmlNode = any;

/** The operation element of a SOAP request: `{ name: 'GetItem', node }`. */
export function parseSoapRequest(body: string): { name: string; node: XmlNode } | null {
  const doc = parser.parse(body);
  const soapBody = doc?.Envelope?.Body;
  if (!soapBody || typeof soapBody !== 'object') return null;
  const name = Object.keys(soapBody).find((key) => !key.startsWith('@'));
  return name ? { name, node: soapBody[name] ?? {} } : null;
}

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function envelope(inner: string): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS_SOAP}"><s:Header>` +
    `<h:ServerVersionInfo MajorVersion="15" MinorVersion="20" MajorBuildNumber="1" MinorBuildNumber="0" Version="V2018_01_08" xmlns:h="${NS_TYPES}" xmlns="${NS_TYPES}"/>` +
    `</s:Header><s:Body>${inner}</s:Body></s:Envelope>`
  );
}

/** `<m:{op}Response>` with its ResponseMessages. */
export function operationResponse(operation: string, messages: string[]): string {
  return envelope(`<m:${operation}Response xmlns:m="${NS_MESSAGES}" xmlns:t="${NS_TYPES}"><m:ResponseMessages>${messages.join('')}</m:ResponseMessages></m:${operation}Response>`);
}

export function success(operation: string, inner = ''): string {
  return `<m:${operation}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>${inner}</m:${operation}ResponseMessage>`;
}

export function failure(operation: string, code: string, text: string, inner = ''): string {
  return (
    `<m:${operation}ResponseMessage ResponseClass="Error"><m:MessageText>${esc(text)}</m:MessageText>` +
    `<m:ResponseCode>${code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>${inner}</m:${operation}ResponseMessage>`
  );
}

/** HTTP 500 SOAP fault, as Exchange answers throttling and request-level errors. */
export function soapFault(code: string, text: string, backOffMs?: number): string {
  const messageXml = backOffMs === undefined ? '' : `<t:MessageXml xmlns:t="${NS_TYPES}"><t:Value Name="BackOffMilliseconds">${backOffMs}</t:Value></t:MessageXml>`;
  return (
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS_SOAP}"><s:Body><s:Fault>` +
    `<faultcode xmlns:a="${NS_TYPES}">a:${code}</faultcode><faultstring xml:lang="en-US">${esc(text)}</faultstring>` +
    `<detail><e:ResponseCode xmlns:e="${NS_ERRORS}">${code}</e:ResponseCode><e:Message xmlns:e="${NS_ERRORS}">${esc(text)}</e:Message>${messageXml}</detail>` +
    `</s:Fault></s:Body></s:Envelope>`
  );
}

/** The properties an ItemShape / FolderShape asks for: BaseShape plus AdditionalProperties FieldURIs. */
export function requestedProperties(shape: XmlNode): { base: string; fields: Set<string> } {
  const fields = new Set<string>();
  for (const field of shape?.AdditionalProperties?.FieldURI ?? []) fields.add(String(field['@FieldURI']));
  return { base: String(shape?.BaseShape ?? 'IdOnly'), fields };
}

/**
 * A `<t:Message>` with the requested properties, in schema order (ItemType: MimeContent,
 * ItemId, ParentFolderId, ItemClass, Subject, DateTimeReceived, Size; MessageType: IsRead).
 * AllProperties/Default never include MimeContent (EWS returns it only when asked for).
 */
export function itemXml(message: StoredMessage, shape: { base: string; fields: Set<string> }): string {
  const all = shape.base !== 'IdOnly';
  const want = (field: string) => all || shape.fields.has(field);
  let xml = '<t:Message>';
  if (shape.fields.has('item:MimeContent')) xml += `<t:MimeContent CharacterSet="UTF-8">${message.raw.toString('base64')}</t:MimeContent>`;
  xml += `<t:ItemId Id="${message.id}" ChangeKey="${message.changeKey}"/>`;
  if (want('item:ParentFolderId')) xml += `<t:ParentFolderId Id="${message.folderId}" ChangeKey="AQAAAA=="/>`;
  if (all) xml += '<t:ItemClass>IPM.Note</t:ItemClass>';
  if (want('item:Subject')) xml += `<t:Subject>${esc(headerValue(message.raw, 'Subject'))}</t:Subject>`;
  if (want('item:DateTimeReceived')) xml += `<t:DateTimeReceived>${message.receivedAt.toISOString().replace(/\.\d+Z$/, 'Z')}</t:DateTimeReceived>`;
  if (want('item:Size')) xml += `<t:Size>${message.raw.length}</t:Size>`;
  if (want('message:IsRead')) xml += `<t:IsRead>${message.isRead}</t:IsRead>`;
  return `${xml}</t:Message>`;
}

export function itemIdOnlyXml(message: StoredMessage): string {
  return `<t:Message><t:ItemId Id="${message.id}" ChangeKey="${message.changeKey}"/></t:Message>`;
}

export function folderXml(mailbox: StoredMailbox, folder: StoredFolder, base: string): string {
  let xml = `<t:Folder><t:FolderId Id="${folder.id}" ChangeKey="AQAAABYAAAA="/>`;
  if (base !== 'IdOnly') {
    const messages = mailbox.inFolder(folder.id);
    xml += `<t:FolderClass>IPF.Note</t:FolderClass><t:DisplayName>${esc(folder.name)}</t:DisplayName><t:TotalCount>${messages.length}</t:TotalCount>`;
    xml += `<t:ChildFolderCount>${mailbox.children(folder.id).length}</t:ChildFolderCount><t:UnreadCount>${messages.filter((m) => !m.isRead).length}</t:UnreadCount>`;
  } else {
    xml += `<t:DisplayName>${esc(folder.name)}</t:DisplayName>`;
  }
  return `${xml}</t:Folder>`;
}

/** Element text (fast-xml-parser gives strings or `{ '#text' }` for elements with attributes). */
export function textOf(node: XmlNode): string {
  if (node === undefined || node === null) return '';
  if (typeof node === 'object') return String(node['#text'] ?? '');
  return String(node);
}
