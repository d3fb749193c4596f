import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Requests1795451205176 implements MigrationInterface {
  name = 'Requests1795451205176';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"attachment_blob\" (\"sha256\" character varying(64) NOT NULL, \"size\" integer NOT NULL, \"content\" bytea NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_9db1283bdf04e78ff558a8aed00\" PRIMARY KEY (\"sha256\"))");
    await queryRunner.query("CREATE TABLE \"attachment\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"message_id\" uuid NOT NULL, \"request_id\" uuid NOT NULL, \"position\" integer NOT NULL, \"filename\" character varying(300) NOT NULL, \"content_type\" character varying(200) NOT NULL, \"size\" integer NOT NULL, \"content_id\" character varying(500), \"inline\" boolean NOT NULL DEFAULT false, \"sha256\" character varying(64) NOT NULL, CONSTRAINT \"PK_d2a80c3a8d467f08a750ac4b420\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_6ebb77b3cb008899ef9c042011\" ON \"attachment\"  (\"sha256\") ");
    await queryRunner.query("CREATE INDEX \"IDX_94f87551c7cf69f04bbd1f187b\" ON \"attachment\"  (\"message_id\", \"position\") ");
    await queryRunner.query("CREATE TABLE \"message\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"seq\" BIGSERIAL NOT NULL, \"request_id\" uuid NOT NULL, \"mailbox_id\" uuid NOT NULL, \"direction\" character varying(3) NOT NULL, \"kind\" character varying(16) NOT NULL, \"from\" jsonb, \"to\" jsonb NOT NULL DEFAULT '[]', \"cc\" jsonb NOT NULL DEFAULT '[]', \"subject\" text NOT NULL, \"message_id\" character varying(1000), \"identity\" character varying(1000) NOT NULL, \"date\" TIMESTAMP WITH TIME ZONE, \"text\" text NOT NULL, \"html\" text, \"in_reply_to\" character varying(1000), \"references\" jsonb NOT NULL DEFAULT '[]', \"is_note\" boolean NOT NULL DEFAULT false, \"auto_reply\" boolean NOT NULL DEFAULT false, \"requester_email\" character varying(320), \"subject_key\" character varying(64), \"received_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"uq_message_mailbox_identity\" UNIQUE (\"mailbox_id\", \"identity\"), CONSTRAINT \"PK_ba01f0a3e0123651915008bc578\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_c000c44baaeda77803636e6db5\" ON \"message\"  (\"requester_email\", \"kind\", \"created_at\") ");
    await queryRunner.query("CREATE INDEX \"IDX_d4348c7b6d2d999be574820a62\" ON \"message\"  (\"mailbox_id\", \"requester_email\", \"subject_key\", \"received_at\") ");
    await queryRunner.query("CREATE INDEX \"IDX_06a563cdbd963a9f7cbcb25c44\" ON \"message\"  (\"message_id\") ");
    await queryRunner.query("CREATE INDEX \"IDX_b290655749e61b3639c47c93bb\" ON \"message\"  (\"request_id\", \"seq\") ");
    await queryRunner.query("CREATE TABLE \"request\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"number\" SERIAL NOT NULL, \"subject\" text NOT NULL, \"status\" character varying(8) NOT NULL DEFAULT 'open', \"mailbox_id\" uuid NOT NULL, \"requester_name\" character varying(300), \"requester_email\" character varying(320) NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"UQ_ff9ae4c48ce4e00f58800a26589\" UNIQUE (\"number\"), CONSTRAINT \"PK_167d324701e6867f189aed52e18\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_02206b093cf9c0420734638bb9\" ON \"request\"  (\"requester_email\") ");
    await queryRunner.query("CREATE INDEX \"IDX_20c2867a2d10715049c00766cd\" ON \"request\"  (\"created_at\") ");
    await queryRunner.query("CREATE INDEX \"IDX_4493eb85c7814ea461bdbd6048\" ON \"request\"  (\"mailbox_id\", \"created_at\") ");
    await queryRunner.query("CREATE TABLE \"quarantined_mail\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"mailbox_id\" uuid NOT NULL, \"reason\" character varying(64) NOT NULL, \"detail\" text NOT NULL, \"raw\" bytea NOT NULL, \"size\" integer NOT NULL, \"received_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"identity\" character varying(1000) NOT NULL, \"message_id\" character varying(1000), \"subject\" text, \"from\" text, \"requester_email\" character varying(320), \"subject_key\" character varying(64), \"retries\" integer NOT NULL DEFAULT '0', \"last_retry_at\" TIMESTAMP WITH TIME ZONE, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"uq_quarantine_mailbox_identity\" UNIQUE (\"mailbox_id\", \"identity\"), CONSTRAINT \"PK_f45cd804b6befbec0198a00eeb6\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_9cfb26704f2ead4b638cadcf28\" ON \"quarantined_mail\"  (\"mailbox_id\", \"requester_email\", \"subject_key\", \"received_at\") ");
    await queryRunner.query("CREATE INDEX \"IDX_4c57b4695003f1a5d686275a47\" ON \"quarantined_mail\"  (\"created_at\") ");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"IDX_4c57b4695003f1a5d686275a47\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_9cfb26704f2ead4b638cadcf28\"");
    await queryRunner.query("DROP TABLE \"quarantined_mail\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_4493eb85c7814ea461bdbd6048\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_20c2867a2d10715049c00766cd\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_02206b093cf9c0420734638bb9\"");
    await queryRunner.query("DROP TABLE \"request\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_b290655749e61b3639c47c93bb\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_06a563cdbd963a9f7cbcb25c44\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_d4348c7b6d2d999be574820a62\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_c000c44baaeda77803636e6db5\"");
    await queryRunner.query("DROP TABLE \"message\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_94f87551c7cf69f04bbd1f187b\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_6ebb77b3cb008899ef9c042011\"");
    await queryRunner.query("DROP TABLE \"attachment\"");
    await queryRunner.query("DROP TABLE \"attachment_blob\"");
  }
}
